import Foundation

/// Everything that can be wrong with a GGUF file or with a request made of one.
///
/// Every case carries where the problem is (a byte offset, a metadata key or a tensor name) so that the message
/// alone lets a user find the culprit; no input makes the reader trap.
public enum GGUFError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened, inspected or mapped.
    case fileUnreadable(path: String, reason: String)
    /// The file ends before a field that must be there; `needed` bytes were wanted at `offset`.
    case truncated(offset: Int, needed: Int, fileSize: Int, reading: String)
    /// The first four bytes are not `GGUF`.
    case badMagic(found: [UInt8])
    /// The version field holds a version this reader does not accept (1, 0, > 3, or a byte-swapped one).
    case unsupportedVersion(UInt32, reason: String)
    /// A count or length field claims more items than the rest of the file could hold.
    case implausibleCount(what: String, count: UInt64, offset: Int, remainingBytes: Int)
    /// A metadata value type id outside 0...12.
    case unknownValueType(id: UInt32, key: String, offset: Int)
    /// A boolean stored as something other than 0 or 1.
    case invalidBool(byte: UInt8, key: String, offset: Int)
    /// The same metadata key appears twice.
    case duplicateKey(String, offset: Int)
    /// Arrays nested deeper than the reader allows (a defence against stack exhaustion).
    case arrayNestingTooDeep(key: String, offset: Int, limit: Int)
    /// `general.alignment` is not a non-zero power-of-two UINT32.
    case invalidAlignment(String)
    /// A tensor's type id is not a ggml type.
    case unknownTensorType(id: UInt32, tensor: String)
    /// A tensor description violates a structural rule (dimensions, block size, offset, overlap, name).
    case invalidTensor(name: String, reason: String)
    /// Two tensors share a name.
    case duplicateTensorName(String)
    /// A metadata key that the caller requires is absent.
    case missingKey(String)
    /// A metadata key holds a value of another type than the caller asked for.
    case typeMismatch(key: String, expected: String, found: String)
    /// No tensor has the requested name.
    case tensorNotFound(String)

    /// The message, naming the offset, key or tensor at fault.
    public var description: String {
        switch self {
        case let .fileUnreadable(path, reason):
            return "cannot read '\(path)': \(reason)"
        case let .truncated(offset, needed, fileSize, reading):
            return "file truncated: reading \(reading) at offset \(offset) needs \(needed) bytes, "
                + "but the file has \(max(0, fileSize - offset)) bytes left (size \(fileSize))"
        case let .badMagic(found):
            let hex = found.map { byte in
                let digits = String(byte, radix: 16, uppercase: true)
                return digits.count == 1 ? "0" + digits : digits
            }.joined(separator: " ")
            return "not a GGUF file: expected magic bytes 47 47 55 46 (\"GGUF\") at offset 0, found \(hex)"
        case let .unsupportedVersion(version, reason):
            return "unsupported GGUF version \(version) at offset 4: \(reason)"
        case let .implausibleCount(what, count, offset, remaining):
            return "\(what) at offset \(offset) is \(count), more than the \(remaining) remaining bytes can hold"
        case let .unknownValueType(id, key, offset):
            return "metadata key '\(key)': unknown value type \(id) at offset \(offset) (valid types are 0...12)"
        case let .invalidBool(byte, key, offset):
            return "metadata key '\(key)': boolean byte \(byte) at offset \(offset) is neither 0 nor 1"
        case let .duplicateKey(key, offset):
            return "duplicate metadata key '\(key)' at offset \(offset)"
        case let .arrayNestingTooDeep(key, offset, limit):
            return "metadata key '\(key)': arrays nested deeper than \(limit) levels at offset \(offset)"
        case let .invalidAlignment(reason):
            return "invalid general.alignment: \(reason)"
        case let .unknownTensorType(id, tensor):
            return "tensor '\(tensor)': unknown ggml type id \(id)"
        case let .invalidTensor(name, reason):
            return "tensor '\(name)': \(reason)"
        case let .duplicateTensorName(name):
            return "duplicate tensor name '\(name)'"
        case let .missingKey(key):
            return "metadata key '\(key)' is missing"
        case let .typeMismatch(key, expected, found):
            return "metadata key '\(key)' holds \(found), expected \(expected)"
        case let .tensorNotFound(name):
            return "no tensor named '\(name)'"
        }
    }
}

extension GGUFError: LocalizedError {
    /// The message the command line prints, so `localizedDescription` says what is wrong.
    public var errorDescription: String? { description }
}
