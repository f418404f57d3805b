/// The attention keys and values of the tokens a model has seen, as a value type that forks in O(1).
///
/// Storage is a list of fixed-size blocks shared between copies: copying a cache (`let fork = cache`) shares every
/// block, and a block is copied only when a cache writes into one that another cache also holds (copy-on-write).
/// So one encoded context can serve many candidate continuations and many units: each fork pays for its own
/// new tokens plus at most one partially filled block.
///
/// Sliding-window layers (gemma3) store every position like the others, and attention masks the positions older
/// than the window: trimming back below a position and forking behave the same for every layer, which a cache
/// that overwrote old positions in a ring could not offer.
public struct KVCache: Sendable {
    /// Positions per block: small enough that copying the partly filled block on a fork is cheap (SmolLM2: 737 KB).
    public static let blockSize = 16

    /// Number of transformer blocks the cache covers.
    public let layerCount: Int
    /// Floats per position for keys (and for values) in one layer.
    public let width: Int
    /// The model's context length: positions beyond it are refused.
    public let capacity: Int
    /// The tokens whose keys and values are stored, in order.
    public private(set) var tokens: [Int] = []
    private var blocks: [KVBlock] = []

    /// An empty cache for a model with these dimensions.
    public init(layerCount: Int, width: Int, capacity: Int) {
        self.layerCount = layerCount
        self.width = width
        self.capacity = capacity
    }

    /// Number of stored positions.
    public var count: Int { tokens.count }

    /// Bytes of key/value storage this cache references (shared blocks counted in full).
    public var storageBytes: Int { blocks.count * KVBlock.floats(layerCount, width) * MemoryLayout<Float>.size }

    /// Keeps the first `length` positions and forgets the rest (no effect if `length >= count`).
    public mutating func trim(to length: Int) {
        guard length < count else { return }
        tokens.removeLast(count - max(0, length))
        let needed = (tokens.count + Self.blockSize - 1) / Self.blockSize
        blocks.removeLast(blocks.count - needed)
    }

    /// Makes positions `count..<count + newTokens.count` writable (allocating blocks and un-sharing the block that
    /// holds position `count`) and records the tokens. The engine then fills them layer by layer.
    mutating func append(_ newTokens: [Int]) {
        let start = count
        let end = start + newTokens.count
        guard end > start else { return }
        let firstBlock = start / Self.blockSize
        if firstBlock < blocks.count && !isKnownUniquelyReferenced(&blocks[firstBlock]) {
            blocks[firstBlock] = KVBlock(copying: blocks[firstBlock], layerCount: layerCount, width: width)
        }
        while blocks.count * Self.blockSize < end {
            blocks.append(KVBlock(layerCount: layerCount, width: width))
        }
        tokens += newTokens
    }

    /// Where the key (or value) of `position` in `layer` lives. Positions must be below `count`.
    @inline(__always)
    func pointer(layer: Int, value: Bool, position: Int) -> UnsafeMutablePointer<Float> {
        let block = blocks[position / Self.blockSize]
        let offset = ((layer * 2 + (value ? 1 : 0)) * Self.blockSize + position % Self.blockSize) * width
        return block.storage + offset
    }

    /// Positions `block·16 ..< block·16 + 16` of one layer's keys (or values): the unit attention iterates over.
    @inline(__always)
    func blockPointer(layer: Int, value: Bool, block: Int) -> UnsafeMutablePointer<Float> {
        blocks[block].storage + (layer * 2 + (value ? 1 : 0)) * Self.blockSize * width
    }
}

/// One block of cache storage: `[layer][key, value][position in block][width]` floats.
final class KVBlock: @unchecked Sendable {
    let storage: UnsafeMutablePointer<Float>
    private let count: Int

    static func floats(_ layers: Int, _ width: Int) -> Int { layers * 2 * KVCache.blockSize * width }

    init(layerCount: Int, width: Int) {
        count = Self.floats(layerCount, width)
        storage = .allocate(capacity: count)
        storage.initialize(repeating: 0, count: count)
    }

    init(copying other: KVBlock, layerCount: Int, width: Int) {
        count = Self.floats(layerCount, width)
        storage = .allocate(capacity: count)
        storage.initialize(from: other.storage, count: count)
    }

    deinit { storage.deallocate() }
}
