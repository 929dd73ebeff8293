import Yams

/// Turns YAML text into one Yams ``Node`` tree, and Yams' errors into ``ConfigurationError``s with a line.
enum YAMLDocument {
    /// The document's root node; `nil` when the text holds no document (empty, or only comments).
    ///
    /// Composed with Yams' rule-less resolver: every plain scalar reads as a string, and the
    /// configuration types each value itself (``ConfigNode``). Yams' default resolver matches every
    /// scalar against regular expressions, which would load ICU into the daemon: about 1 MiB of its
    /// resident memory for the life of the process, to read one small file.
    static func compose(yaml: String, fileName: String) throws(ConfigurationError) -> Node? {
        do {
            return try Yams.compose(yaml: yaml, .basic)
        } catch let error as YamlError {
            throw convert(error, yaml: yaml, fileName: fileName)
        } catch {
            throw ConfigurationError(code: .syntax, fileName: fileName, message: "cannot parse YAML: \(error)")
        }
    }

    private static func convert(_ error: YamlError, yaml: String, fileName: String) -> ConfigurationError {
        func syntax(_ problem: String, _ mark: Mark?, _ context: YamlError.Context?) -> ConfigurationError {
            var message = "syntax error: \(problem)"
            if problem == "but found another document" {
                message = "syntax error: the file holds more than one YAML document (a second ---)"
            } else if let context, context.mark.line != mark?.line || context.mark.column != mark?.column {
                message += " (\(context.text), from line \(context.mark.line))"
            } else if let context {
                message += " (\(context.text))"
            }
            if let line = mark?.line, Self.line(line, of: yaml)?.contains("\t") == true {
                message += "; tabs cannot indent YAML, use spaces"
            }
            return ConfigurationError(
                code: .syntax,
                fileName: fileName,
                line: mark?.line,
                column: mark?.column,
                message: message
            )
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            return syntax(problem, mark, context)
        case .reader(let problem, let offset, _, _):
            let line = offset.map { lineNumber(ofCharacterOffset: $0, in: yaml) }
            return ConfigurationError(
                code: .unreadable,
                fileName: fileName,
                line: line,
                message: "cannot read the text: \(problem)"
            )
        case .duplicatedKeysInMapping(let duplicates, let context):
            return duplicateKeyError(duplicates, mark: context.mark, yaml: yaml, fileName: fileName)
        default:
            return ConfigurationError(code: .syntax, fileName: fileName, message: "cannot parse YAML: \(error)")
        }
    }

    // MARK: Duplicate keys

    private static let marker = "probed-duplicate-key-"

    /// Yams reports a duplicate key with the mark of its first occurrence but no path. To name the key path
    /// and the line of the repeat, mark the first occurrence in a copy of the text, compose that copy, and
    /// find the marked key in its tree. Falls back to the bare key name when that does not work out (a key
    /// given three times, a key that is not a plain word).
    private static func duplicateKeyError(
        _ duplicates: [String],
        mark: Mark,
        yaml: String,
        fileName: String
    ) -> ConfigurationError {
        let key = duplicates.first ?? "?"
        var error = ConfigurationError(
            code: .duplicateKey,
            fileName: fileName,
            keyPath: key,
            line: mark.line,
            column: mark.column,
            message: "the same key is given twice in one mapping"
        )
        guard let marked = insert(marker, atLine: mark.line, column: mark.column, of: yaml),
            let root = try? Yams.compose(yaml: marked, .basic),
            let found = find(markedKey: key, in: root, path: "")
        else { return error }
        error.keyPath = found.path
        error.message = "the same key is given twice in one mapping (first on line \(mark.line))"
        if let repeatMark = found.repeatMark {
            error.line = repeatMark.line
            error.column = repeatMark.column
        }
        return error
    }

    /// The path of the key that starts with the marker, and the mark of the unmarked key beside it.
    private static func find(markedKey key: String, in node: Node, path: String) -> (path: String, repeatMark: Mark?)? {
        switch node {
        case .mapping(let mapping):
            for (keyNode, value) in mapping {
                guard let name = keyNode.scalar?.string else { continue }
                if name.hasPrefix(marker) {
                    let repeatKey = mapping.first { $0.key.scalar?.string == key }?.key
                    return (path.isEmpty ? key : "\(path).\(key)", repeatKey?.mark)
                }
                if let found = find(markedKey: key, in: value, path: path.isEmpty ? name : "\(path).\(name)") {
                    return found
                }
            }
        case .sequence(let sequence):
            for (index, element) in sequence.enumerated() {
                if let found = find(markedKey: key, in: element, path: "\(path)[\(index)]") {
                    return found
                }
            }
        case .scalar, .alias:
            break
        }
        return nil
    }
}
