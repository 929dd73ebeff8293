/// The daemon's configuration: one typed value per key of `probed.yaml` (config/probed.yaml, `probed.yaml(5)`).
///
/// Every key has a default, so ``init()`` is the configuration of a daemon started without a file.
/// The sections mirror the YAML one to one; each property's doc comment names its YAML key.
/// Property names are the keys in lowerCamelCase with units spelled out (`timeout_ms` is
/// ``Probe/timeoutMilliseconds``, `in_use_ttl_s` is ``Cache/inUseTTLSeconds``).
///
/// Files are decoded strictly (see ``load(path:)``): an unknown key, a duplicate key, a wrong type or
/// a value out of range is a ``ConfigurationError`` that names the key path and the line.
///
/// Command-line overrides (`--socket`, `--log-level`) are applied by setting the properties after
/// loading; ``Socket/pathProblem(_:)`` and ``LogLevel/init(rawValue:)`` check such values.
public struct Configuration: Sendable, Equatable {
    /// `/etc/probed/probed.yaml`, where the daemon looks when no `--config` is given.
    public static let defaultPath = "/etc/probed/probed.yaml"

    /// `socket`: the Unix socket the daemon listens on, and who may talk to it.
    public var socket = Socket()
    /// `probe`: how echo probes are sent and judged.
    public var probe = Probe()
    /// `cache`: how long verdicts are kept.
    public var cache = Cache()
    /// `pools`: address ranges whose verdicts are kept fresh by background sweeps (§3a). Default: none.
    public var pools: [Pool] = []
    /// `pools_max_pps`: the echo requests per second that the pool sweeps may use, in all. Default 5000.
    public var poolsMaxPPS = 5000
    /// `policy`: which addresses may be probed.
    public var policy = Policy()
    /// `limits`: bounds on clients of the query socket.
    public var limits = Limits()
    /// `log`: logging.
    public var log = Log()
    /// `metrics`: the optional Prometheus endpoint.
    public var metrics = Metrics()

    /// The defaults: the configuration of a daemon started without a file.
    public init() {}

    /// Reads and strictly decodes the file at `path`.
    ///
    /// An empty file, or one holding only comments, gives the defaults.
    ///
    /// - Parameter path: The file to read; error messages name it as given.
    /// - Returns: The decoded configuration.
    /// - Throws: ``ConfigurationError``: code ``ConfigurationError/Code/notFound`` when there is no such file
    ///   (a daemon started without `--config` may then run on the defaults), ``ConfigurationError/Code/unreadable``
    ///   when it cannot be read, else whatever ``parse(yaml:fileName:)`` throws.
    public static func load(path: String) throws(ConfigurationError) -> Configuration {
        let text = try ConfigurationFile.contents(ofPath: path)
        return try parse(yaml: text, fileName: path)
    }

    /// Strictly decodes YAML text.
    ///
    /// - Parameters:
    ///   - yaml: The text of a configuration file.
    ///   - fileName: The name that error messages start with, e.g. `probed.yaml`.
    /// - Returns: The decoded configuration; keys that are absent keep their defaults.
    /// - Throws: ``ConfigurationError`` naming the file, line and key path of the first problem found.
    public static func parse(yaml: String, fileName: String = "probed.yaml") throws(ConfigurationError)
        -> Configuration
    {
        let root = try YAMLDocument.compose(yaml: yaml, fileName: fileName)
        guard let root else { return Configuration() }
        return try ConfigurationDecoder(fileName: fileName).decode(root: root)
    }
}
