/// A binary min-heap over candidate merges, ordered by `priority` and then by the left symbol's index.
///
/// Both tokenizers pop the best pair first and, among equally good pairs, the leftmost; entries that became
/// stale after other merges are detected and skipped by the caller, as in llama.cpp.
struct MergeQueue<Payload> {
    struct Entry {
        /// Lower pops first (a rank for BPE, a negated score for SentencePiece).
        var priority: Float
        var left: Int32
        var right: Int32
        var payload: Payload
    }

    private var heap: [Entry] = []

    var isEmpty: Bool { heap.isEmpty }

    mutating func removeAll() { heap.removeAll(keepingCapacity: true) }

    @inline(__always)
    private static func before(_ a: Entry, _ b: Entry) -> Bool {
        a.priority < b.priority || (a.priority == b.priority && a.left < b.left)
    }

    mutating func push(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.before(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Entry? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var best = parent
                if left < heap.count && Self.before(heap[left], heap[best]) { best = left }
                if right < heap.count && Self.before(heap[right], heap[best]) { best = right }
                if best == parent { break }
                heap.swapAt(parent, best)
                parent = best
            }
        }
        return top
    }
}

/// One symbol of a word being merged: a byte range of the working buffer, linked to its neighbours.
struct MergeSymbol {
    var start: Int
    var length: Int
    var previous: Int32
    var next: Int32
    /// The symbol's text as a piece id (BPE), or -1 when the text is not a known piece.
    var piece: Int32
}
