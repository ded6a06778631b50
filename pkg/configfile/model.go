package configfile

// Version is the only file format version this package reads and writes.
const Version = 1

// File is the whole configuration file. Each list is keyed by name (the schedule by task,
// users by username); a list that is absent is left alone by Apply, even with prune.
type File struct {
	// Version of the file format (1).
	Version     int       `yaml:"version" cfg:"required" doc:"file format version; must be 1"`
	Regions     []Region  `yaml:"regions" doc:"regions of the network, keyed by name"`
	Profiles    []Profile `yaml:"profiles" doc:"monitoring profiles, keyed by name"`
	Branches    []Branch  `yaml:"branches" doc:"branches, keyed by name"`
	Devices     []Device  `yaml:"devices" doc:"monitored devices, keyed by name"`
	Rules       []Rule    `yaml:"rules" doc:"alert rules, keyed by name"`
	Channels    []Channel `yaml:"channels" doc:"notification channels, keyed by name; secrets by reference only"`
	Maintenance []Window  `yaml:"maintenance" doc:"maintenance windows, keyed by name"`
	Schedule    []Job     `yaml:"schedule" doc:"periodic jobs, keyed by task; never pruned"`
	Users       []User    `yaml:"users" doc:"users' roles and scopes, keyed by username (never passwords); never pruned"`
}

// Region is a region of the bank's network.
type Region struct {
	Name        string `yaml:"name" cfg:"required" doc:"unique name"`
	Description string `yaml:"description,omitempty"`
}

// Branch is one branch: a place with devices, in a region.
type Branch struct {
	Name      string   `yaml:"name" cfg:"required" doc:"unique name"`
	Region    string   `yaml:"region,omitempty" doc:"name of a region of this file (empty: none)"`
	Address   string   `yaml:"address,omitempty"`
	Latitude  *float64 `yaml:"latitude,omitempty" doc:"-90..90, with longitude"`
	Longitude *float64 `yaml:"longitude,omitempty" doc:"-180..180, with latitude"`
	ISP       string   `yaml:"isp,omitempty" doc:"upstream provider"`
	CircuitID string   `yaml:"circuit_id,omitempty" doc:"the provider's circuit reference"`
	Contacts  string   `yaml:"contacts,omitempty"`
	TimeZone  string   `yaml:"time_zone,omitempty" doc:"IANA time zone (default UTC)"`
	Profile   string   `yaml:"profile,omitempty" doc:"name of the default monitoring profile of its devices"`
}

// Profile is a monitoring profile: how its devices are pinged and judged.
type Profile struct {
	Name             string       `yaml:"name" cfg:"required" doc:"unique name"`
	PingCount        int          `yaml:"ping_count,omitempty" doc:"echo requests per cycle, 1..20 (default 3)"`
	PingIntervalMS   int          `yaml:"ping_interval_ms,omitempty" doc:"ms between echo requests, 10..10000 (default 10)"`
	PingTimeoutMS    int          `yaml:"ping_timeout_ms,omitempty" doc:"ms, 50..30000 (default 1000)"`
	DegradedLossPct  float64      `yaml:"degraded_loss_pct,omitempty" doc:"loss above which a device is degraded, 0..<100 (default 0: any loss)"`
	WindowCycles     int          `yaml:"window_cycles,omitempty" doc:"cycles the degraded verdict is taken over, 1..30 (default 5)"`
	RecoverLossPct   *float64     `yaml:"recover_loss_pct,omitempty" doc:"loss at or below which a degraded device is up again (default half of degraded_loss_pct)"`
	RoleAliasPattern string       `yaml:"role_alias_pattern,omitempty" doc:"derives an interface's role from its alias"`
	DeviceTypes      []string     `yaml:"device_types,omitempty" doc:"device types whose devices default to this profile"`
	SNMP             *ProfileSNMP `yaml:"snmp,omitempty" doc:"SNMP defaults of the profile's devices (absent: none; the stored ones are removed)"`
}

// SNMPCredentials are SNMP settings as the file holds them, for a profile's defaults and for a
// device's own: the API's fields (snmp.Settings); community, auth_password and priv_password
// are references only, like channel secrets.
type SNMPCredentials struct {
	Version        string `yaml:"version,omitempty" enum:"2c|3" doc:"SNMP version (a profile may leave it empty to carry extra OIDs only)"`
	Community      string `yaml:"community,omitempty" pattern:"^\\$\\{(env|file):[^}]+\\}$" doc:"SNMPv2c community by reference: ${env:NAME} or ${file:/path}"`
	Username       string `yaml:"username,omitempty" doc:"SNMPv3 user"`
	SecurityLevel  string `yaml:"security_level,omitempty" enum:"authNoPriv|authPriv" doc:"SNMPv3"`
	AuthProtocol   string `yaml:"auth_protocol,omitempty" enum:"SHA|SHA-224|SHA-256|SHA-384|SHA-512" doc:"SNMPv3"`
	AuthPassword   string `yaml:"auth_password,omitempty" pattern:"^\\$\\{(env|file):[^}]+\\}$" doc:"SNMPv3 authentication passphrase by reference"`
	PrivProtocol   string `yaml:"priv_protocol,omitempty" enum:"AES|AES-192|AES-256|AES-192-C|AES-256-C" doc:"SNMPv3 authPriv"`
	PrivPassword   string `yaml:"priv_password,omitempty" pattern:"^\\$\\{(env|file):[^}]+\\}$" doc:"SNMPv3 privacy passphrase by reference (authPriv)"`
	ContextName    string `yaml:"context_name,omitempty" doc:"SNMPv3 context"`
	Host           string `yaml:"host,omitempty" doc:"SNMP target instead of the device IP"`
	Port           int    `yaml:"port,omitempty" doc:"UDP port (default 161)"`
	TimeoutMS      int    `yaml:"timeout_ms,omitempty" doc:"ms per request, 100..60000 (default 2000)"`
	Retries        *int   `yaml:"retries,omitempty" doc:"resends after a timeout, 0..10 (default 1)"`
	MaxRepetitions int    `yaml:"max_repetitions,omitempty" doc:"GetBulk max-repetitions, 1..100 (default 10)"`
}

// ProfileSNMP is a profile's SNMP defaults: credentials (from version on) and extra OIDs.
// Without version the profile carries extra OIDs only.
type ProfileSNMP struct {
	SNMPCredentials `yaml:",inline"`
	ExtraOIDs       []ExtraOID `yaml:"extra_oids,omitempty" doc:"vendor values read from every device of the profile"`
}

// ExtraOID is one vendor value a profile reads (snmp.ExtraOID).
type ExtraOID struct {
	Name  string  `yaml:"name" cfg:"required" doc:"a-z, 0-9, _ starting with a letter"`
	OID   string  `yaml:"oid" cfg:"required" doc:"numeric, dotted"`
	Role  string  `yaml:"role,omitempty" enum:"gauge|cpu|memory" doc:"default gauge"`
	Agg   string  `yaml:"agg,omitempty" enum:"get|avg|max|min|sum" doc:"default get"`
	Scale float64 `yaml:"scale,omitempty" doc:"multiplies the raw value (default 1)"`
}

// Device is one monitored device.
type Device struct {
	Name    string            `yaml:"name" cfg:"required" doc:"unique name"`
	IP      string            `yaml:"ip" cfg:"required" doc:"IPv4 or IPv6 address"`
	Branch  string            `yaml:"branch,omitempty" doc:"name of a branch of this file"`
	Type    string            `yaml:"type,omitempty" doc:"device type (router, switch, atm, …)"`
	Vendor  string            `yaml:"vendor,omitempty"`
	Labels  map[string]string `yaml:"labels,omitempty"`
	Parent  string            `yaml:"parent,omitempty" doc:"name of the device this one sits behind"`
	Profile string            `yaml:"profile,omitempty" doc:"name of its own monitoring profile"`
	Enabled *bool             `yaml:"enabled,omitempty" doc:"monitored (default true)"`
	SNMP    *DeviceSNMP       `yaml:"snmp,omitempty" doc:"the device's own SNMP settings, over its profile's (absent: none; the stored ones are removed)"`
}

// DeviceSNMP is a device's own SNMP settings: the credentials of a profile, without the extra
// OIDs only profiles carry.
type DeviceSNMP = SNMPCredentials

// Scope selects devices (all lists empty: every device) and, for per-interface rules, some
// of their interfaces.
type Scope struct {
	Regions    []string          `yaml:"regions,omitempty"`
	Branches   []string          `yaml:"branches,omitempty"`
	Types      []string          `yaml:"types,omitempty"`
	Labels     map[string]string `yaml:"labels,omitempty"`
	Devices    []string          `yaml:"devices,omitempty" doc:"device names"`
	Interfaces *IfScope          `yaml:"interfaces,omitempty"`
}

// IfScope narrows a per-interface rule to some interfaces.
type IfScope struct {
	Names   []string `yaml:"names,omitempty" doc:"interface name patterns"`
	Aliases []string `yaml:"aliases,omitempty" doc:"ifAlias patterns"`
	Roles   []string `yaml:"roles,omitempty" doc:"interface roles (uplink, wan, access, …)"`
}

// Rule is an alert rule (docs/ALERTING.md); omitted fields take the API's defaults.
type Rule struct {
	Name              string   `yaml:"name" cfg:"required" doc:"unique name"`
	Description       string   `yaml:"description,omitempty"`
	Kind              string   `yaml:"kind" cfg:"required" doc:"rule kind (device_down, if_down, …); cannot change"`
	Metric            string   `yaml:"metric,omitempty" doc:"system metric of a system rule, or the OID name of an oid rule"`
	Op                *string  `yaml:"op,omitempty" enum:">=|<=" doc:"comparison (default >=, <= for rebooted)"`
	Threshold         float64  `yaml:"threshold,omitempty"`
	RecoveryThreshold *float64 `yaml:"recovery_threshold,omitempty" doc:"default: threshold"`
	ForCycles         *int     `yaml:"for_cycles,omitempty" doc:"default 1"`
	RecoverCycles     *int     `yaml:"recover_cycles,omitempty" doc:"default 1"`
	Severity          *string  `yaml:"severity,omitempty" enum:"critical|major|minor|warning" doc:"default warning"`
	Scope             Scope    `yaml:"scope,omitempty"`
	RepeatMinutes     int      `yaml:"repeat_minutes,omitempty" doc:"repeat an unacknowledged alert's notification (0: never)"`
	FlapChanges       *int     `yaml:"flap_changes,omitempty" doc:"default 4 (0: off)"`
	FlapWindowS       *int     `yaml:"flap_window_s,omitempty" doc:"default 900"`
	Enabled           *bool    `yaml:"enabled,omitempty" doc:"default true"`
}

// Channel is a notification channel. Secrets are references, never values.
type Channel struct {
	Name       string            `yaml:"name" cfg:"required" doc:"unique name"`
	Type       string            `yaml:"type" cfg:"required" enum:"webhook|email|slack|telegram"`
	Config     ChannelConfig     `yaml:"config,omitempty"`
	Secrets    map[string]string `yaml:"secrets,omitempty" keys:"hmac_secret|password|webhook_url|bot_token" pattern:"^\\$\\{(env|file):[^}]+\\}$" doc:"secret settings by reference: ${env:NAME} or ${file:/path}"`
	Severities []string          `yaml:"severities,omitempty" enum:"critical|major|minor|warning" doc:"subscribed severities (empty: all)"`
	Scope      Scope             `yaml:"scope,omitempty"`
	Enabled    *bool             `yaml:"enabled,omitempty" doc:"default true"`
}

// ChannelConfig holds a channel's public settings; which apply depends on the type.
type ChannelConfig struct {
	URL           string   `yaml:"url,omitempty" doc:"webhook endpoint, without credentials or query"`
	Host          string   `yaml:"host,omitempty" doc:"SMTP server"`
	Port          int      `yaml:"port,omitempty" doc:"SMTP port (default 587 with starttls, else 25)"`
	Username      string   `yaml:"username,omitempty" doc:"SMTP AUTH user (with secrets.password)"`
	From          string   `yaml:"from,omitempty"`
	To            []string `yaml:"to,omitempty"`
	StartTLS      bool     `yaml:"starttls,omitempty"`
	TLSSkipVerify bool     `yaml:"tls_skip_verify,omitempty"`
	APIBase       string   `yaml:"api_base,omitempty" doc:"Telegram Bot API base URL"`
	ChatID        string   `yaml:"chat_id,omitempty"`
	TimeoutMS     int      `yaml:"timeout_ms,omitempty" doc:"ms per send (default 10000)"`
}

// Window is a maintenance window: "once" between starts_at and ends_at, or "weekly".
type Window struct {
	Name            string `yaml:"name" cfg:"required" doc:"unique name"`
	Description     string `yaml:"description,omitempty"`
	Kind            string `yaml:"kind" cfg:"required" enum:"once|weekly"`
	StartsAt        string `yaml:"starts_at,omitempty" doc:"RFC 3339 time (once)"`
	EndsAt          string `yaml:"ends_at,omitempty" doc:"RFC 3339 time (once)"`
	Weekdays        []int  `yaml:"weekdays,omitempty" doc:"0 = Sunday .. 6 = Saturday (weekly)"`
	StartTime       string `yaml:"start_time,omitempty" doc:"local HH:MM (weekly)"`
	DurationMinutes int    `yaml:"duration_minutes,omitempty" doc:"weekly"`
	TimeZone        string `yaml:"time_zone,omitempty" doc:"IANA zone (default UTC)"`
	Targets         Scope  `yaml:"targets,omitempty"`
	Enabled         *bool  `yaml:"enabled,omitempty" doc:"default true"`
}

// Job is one periodic job of the schedule.
type Job struct {
	Task     string `yaml:"task" cfg:"required" doc:"task type (cycle:ping, cycle:snmp, …)"`
	Interval string `yaml:"interval" cfg:"required" doc:"Go duration, whole seconds (30s, 5m)"`
	Offset   string `yaml:"offset,omitempty" doc:"Go duration within the interval (default 0s)"`
	Enabled  *bool  `yaml:"enabled,omitempty" doc:"default true"`
}

// User is a user's role and scope (passwords are never part of the file).
type User struct {
	Username      string   `yaml:"username" cfg:"required"`
	Role          string   `yaml:"role" cfg:"required" enum:"viewer|operator|admin"`
	Disabled      bool     `yaml:"disabled,omitempty"`
	ScopeRegions  []string `yaml:"scope_regions,omitempty" doc:"region names a viewer or operator is limited to"`
	ScopeBranches []string `yaml:"scope_branches,omitempty" doc:"branch names a viewer or operator is limited to"`
}
