import ProbeConfig
import Testing

@Suite struct ModeTests {
    /// The mode is always octal, as for chmod: "0660", "660" and "0o660" are the same; unquoted works too.
    @Test(
        arguments: [
            ("\"0660\"", 0o660), ("\"660\"", 0o660), ("\"0o660\"", 0o660), ("0660", 0o660), ("660", 0o660),
            ("\"0600\"", 0o600), ("\"0777\"", 0o777), ("\"0\"", 0), ("\"0000\"", 0), ("\"0O640\"", 0o640),
        ] as [(String, UInt32)]
    )
    func accepted(text: String, mode: UInt32) throws {
        let configuration = try Configuration.parse(yaml: "socket:\n  mode: \(text)\n")
        #expect(configuration.socket.mode == mode)
    }

    @Test(arguments: [
        "\"abc\"", "\"0999\"", "\"\"", "\"0x1b0\"", "\"-1\"", "\"06 60\"", "\"0o\"", "\"rw-rw----\"", "\"0o0o660\"",
    ])
    func invalid(text: String) {
        let error = expectRefusal("socket:\n  mode: \(text)\n", code: .invalidValue, keyPath: "socket.mode", line: 2)
        #expect(error?.message.hasPrefix("must be an octal mode such as \"0660\"") == true)
    }

    @Test(arguments: ["\"1777\"", "\"4755\"", "\"01000\""])
    func specialBitsAreOutOfRange(text: String) {
        expectRefusal("socket:\n  mode: \(text)\n", code: .outOfRange, keyPath: "socket.mode", line: 2)
    }

    @Test func listIsWrongType() {
        expectRefusal("socket:\n  mode: [6, 6, 0]\n", code: .wrongType, keyPath: "socket.mode", line: 2)
    }
}
