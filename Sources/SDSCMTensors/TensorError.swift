import Foundation
import SDSCMGGUF

/// Failures when reading or computing with tensor data.
public enum TensorError: Error, Equatable, Sendable, CustomStringConvertible {
    /// This package has no implementation of `operation` for `type`.
    case unsupportedType(GGMLType, operation: String, tensor: String?)
    /// A byte buffer does not hold a whole number of blocks of `type`.
    case byteCountNotWholeBlocks(type: GGMLType, byteCount: Int)
    /// A row index outside the tensor.
    case rowOutOfRange(tensor: String, row: Int, rowCount: Int)
    /// Operand sizes that do not fit together.
    case shapeMismatch(String)

    /// The message, naming the tensor or type at fault.
    public var description: String {
        switch self {
        case let .unsupportedType(type, operation, tensor):
            let subject = tensor.map { "tensor '\($0)' has type \(type)" } ?? "type \(type)"
            return "\(subject), which \(operation) does not support"
        case let .byteCountNotWholeBlocks(type, byteCount):
            return "\(byteCount) bytes are not a whole number of \(type) blocks of \(type.bytesPerBlock) bytes"
        case let .rowOutOfRange(tensor, row, rowCount):
            return "tensor '\(tensor)': row \(row) is out of range 0..<\(rowCount)"
        case let .shapeMismatch(message):
            return "shape mismatch: \(message)"
        }
    }
}

extension TensorError: LocalizedError {
    /// The message the command line prints, so `localizedDescription` says what is wrong.
    public var errorDescription: String? { description }
}
