/// A value bound to a statement or read from a row.
public enum SQLiteValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

extension SQLiteValue: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral, ExpressibleByFloatLiteral, ExpressibleByNilLiteral {
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(stringLiteral value: String) { self = .text(value) }
    public init(floatLiteral value: Double) { self = .real(value) }
    public init(nilLiteral: ()) { self = .null }
}

extension SQLiteValue {
    /// An integer column's value (a real is truncated); 0 for NULL, as `SUM` over no rows gives.
    public var int: Int {
        switch self {
        case .integer(let v): Int(v)
        case .real(let v): Int(v)
        default: 0
        }
    }

    /// A numeric column's value; 0 for NULL.
    public var double: Double {
        switch self {
        case .integer(let v): Double(v)
        case .real(let v): v
        default: 0
        }
    }

    /// A text column's value (an integer as its digits); empty for NULL.
    public var text: String {
        switch self {
        case .text(let v): v
        case .integer(let v): String(v)
        default: ""
        }
    }
}
