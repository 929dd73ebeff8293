/// Rows of text laid out in aligned columns, two spaces apart, for human output.
///
/// ```
/// ADDRESS        STATE   EVIDENCE    RTT       MAC
/// 198.51.100.10  in_use  echo_reply  0.412 ms  -
/// ```
struct TextTable {
    /// The rows; they may have different numbers of cells.
    private(set) var rows: [[String]] = []
    /// Text put before every line (for nested listings).
    var indent: String

    init(indent: String = "") {
        self.indent = indent
    }

    /// Adds one row.
    mutating func append(_ row: [String]) {
        rows.append(row)
    }

    /// Whether the table has no rows.
    var isEmpty: Bool { rows.isEmpty }

    /// The lines of the table: every column as wide as its widest cell, without trailing spaces.
    func lines() -> [String] {
        var widths: [Int] = []
        for row in rows {
            for (column, cell) in row.enumerated() {
                if column == widths.count { widths.append(0) }
                widths[column] = max(widths[column], cell.count)
            }
        }
        return rows.map { row in
            var line = indent
            for (column, cell) in row.enumerated() {
                if column > 0 { line += "  " }
                line += cell
                if column < row.count - 1 {
                    line += String(repeating: " ", count: widths[column] - cell.count)
                }
            }
            while line.last == " " { line.removeLast() }
            return line
        }
    }

    /// Prints the lines on standard output.
    func print() {
        for line in lines() { Console.line(line) }
    }
}
