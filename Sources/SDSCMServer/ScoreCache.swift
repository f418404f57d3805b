import Foundation
import SDSCMRandomness
import SDSCM

/// Server answers on disk, one file per prompt, keyed by the server URL, the model id, the kind of question and the
/// prompt: a killed or failed run resumes without asking the server again, and a repeated run asks nothing. Each
/// file holds its full key, checked on every read, so a hash collision can only miss, never answer wrongly.
/// Files are written atomically (a temporary file renamed), so concurrent writers and kills leave whole entries.
struct ScoreCache: Sendable {
    /// The folder.
    let directory: URL

    /// The stored answer of `key`, if any.
    func answer(_ key: String) -> Data? {
        guard let data = FileManager.default.contents(atPath: path(key).path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              object["key"] as? String == key, let answer = object["answer"] else { return nil }
        return try? JSONSerialization.data(withJSONObject: answer, options: [.sortedKeys])
    }

    /// Stores `answer` (JSON) under `key`.
    func store(_ key: String, answer: Data) throws {
        let object: [String: Any] = ["key": key, "answer": try JSONSerialization.jsonObject(with: answer)]
        let url = path(key)
        try SafeFile.createFolder(url.deletingLastPathComponent())
        try SafeFile.write(JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), to: url.path)
    }

    private func path(_ key: String) -> URL {
        let hex = String(FNV1a.hash(key), radix: 16)
        let name = String(repeating: "0", count: 16 - hex.count) + hex
        return directory.appendingPathComponent(String(name.prefix(2))).appendingPathComponent(name + ".json")
    }
}
