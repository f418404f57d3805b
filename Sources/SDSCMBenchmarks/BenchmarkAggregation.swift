import Foundation
import SDSCM

/// The paper's larger datasets: its 10,000-row sets are ten 1,000-row datasets of the same phrasing variation
/// concatenated, the row index continuing across them ("aggregated within each variation"; no new sampling).
///
/// Group m holds the datasets of variation v = m mod V (V the run's variations) in dataset order, the g-th run of
/// `size` of them where g = m div V; only complete groups are written. With the paper's design (1,000 datasets, 50
/// variations, size 10) that gives its 100 sets, set m in variation m mod 50 like the 1k files.
public struct BenchmarkAggregate: Codable, Sendable, Equatable {
    /// The aggregate's number m.
    public var index: Int
    /// The phrasing variation all its datasets share.
    public var variation: Int
    /// The datasets concatenated, in order.
    public var datasets: [Int]
    /// The files written, by layout (`reference`, `extended`, `hidden`), with their SHA-256.
    public var files: [String: BenchmarkManifest.FileRecord]
}

extension BenchmarkRunner {
    /// The folder of the aggregates of `size` datasets: `aggregated-<size>/` in the output folder.
    public func aggregateFolder(size: Int) -> URL { output.appendingPathComponent("aggregated-\(size)") }

    /// The complete groups of `size` same-variation datasets among `completed` (dataset indices).
    public func aggregateGroups(size: Int, completed: [Int]) -> [(index: Int, variation: Int, datasets: [Int])] {
        let variations = max(1, run.variations)
        let done = Set(completed)
        var groups: [(index: Int, variation: Int, datasets: [Int])] = []
        for variation in 0..<variations {
            let members = Array(stride(from: variation, to: run.datasets, by: variations))
            for chunk in 0..<(members.count / size) {
                let datasets = Array(members[(chunk * size)..<((chunk + 1) * size)])
                guard datasets.allSatisfy(done.contains) else { continue }
                groups.append((chunk * variations + variation, variation, datasets))
            }
        }
        return groups.sorted { $0.index < $1.index }
    }

    /// Writes every complete group of `size` same-variation datasets (see `BenchmarkAggregate`) into
    /// `aggregated-<size>/<layout>/<name>_<m>.csv`, each table's rows in dataset order with its index column (the
    /// reference's unnamed one, `unit` in the others) renumbered to continue, plus `config.json` and
    /// `manifest.json` listing the groups. Nothing is written when no group is complete (or `size` < 2).
    @discardableResult
    public func writeAggregates(size: Int) throws -> [BenchmarkAggregate] {
        guard size > 1 else { return [] }
        let completedDatasets = (0..<run.datasets).compactMap { index in completed(index).map { (index, $0) } }
        let records = Dictionary(uniqueKeysWithValues: completedDatasets)
        let groups = aggregateGroups(size: size, completed: completedDatasets.map(\.0))
        guard !groups.isEmpty else { return [] }
        let folder = aggregateFolder(size: size)
        var aggregates: [BenchmarkAggregate] = []
        for group in groups {
            var files: [String: BenchmarkManifest.FileRecord] = [:]
            let layouts = records[group.datasets[0]]!.files.keys.sorted()
            for layout in layouts where group.datasets.allSatisfy({ records[$0]!.files[layout] != nil }) {
                var combined: DataTable?
                var row = 0
                for dataset in group.datasets {
                    let table = try DataTable(contentsOf: output.appendingPathComponent(records[dataset]!.files[layout]!.path))
                    if combined == nil { combined = DataTable(header: table.header) }
                    guard table.header == combined!.header else {
                        throw ConfigurationError(path: "$", message: "dataset \(dataset)'s \(layout) table has another header than dataset \(group.datasets[0])'s")
                    }
                    for var fields in table.rows {
                        fields[0] = String(row)
                        row += 1
                        try combined!.append(fields)
                    }
                }
                let relative = "\(layout)/\(design.name)_\(group.index).csv"
                let data = Data(combined!.csv.utf8)
                try Self.writeAtomically(data, to: folder.appendingPathComponent(relative))
                files[layout] = .init(path: relative, sha256: SHA256.hex(data))
            }
            aggregates.append(BenchmarkAggregate(index: group.index, variation: group.variation, datasets: group.datasets, files: files))
        }
        if let configuration = FileManager.default.contents(atPath: output.appendingPathComponent("config.json").path) {
            try Self.writeAtomically(configuration, to: folder.appendingPathComponent("config.json"))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        struct Manifest: Encodable { var size: Int; var aggregates: [BenchmarkAggregate] }
        try Self.writeAtomically(try encoder.encode(Manifest(size: size, aggregates: aggregates)),
                                 to: folder.appendingPathComponent("manifest.json"))
        return aggregates
    }
}
