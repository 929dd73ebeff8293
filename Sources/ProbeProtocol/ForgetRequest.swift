/// The target of a `forget`: exactly one of an address, a prefix, or everything.
public enum ForgetRequest: Hashable, Sendable {
    /// `addr`: the entry of one address.
    case address(IPAddress)
    /// `prefix`: the entries of every address inside a CIDR prefix.
    case prefix(IPPrefix)
    /// `all: true`: every entry.
    case all
}
