package configfile

import (
	"fmt"
	"os"
	"regexp"
	"strings"
)

// refPattern is a secret reference: ${env:NAME} or ${file:/absolute/path}.
var refPattern = regexp.MustCompile(`^\$\{(env|file):([^}]+)\}$`)

// envName is what an environment variable name of a reference must look like.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Resolver reads the values that secret references name. Zero fields use the process's
// environment and file system.
type Resolver struct {
	LookupEnv func(string) (string, bool)
	ReadFile  func(string) ([]byte, error)
}

// checkRef tells what is wrong with a reference, or "" when it is well formed.
func checkRef(ref string) string {
	m := refPattern.FindStringSubmatch(ref)
	switch {
	case m == nil:
		return "secrets are given by reference only: ${env:NAME} or ${file:/path}, never in clear"
	case m[1] == "env" && !envName.MatchString(m[2]):
		return fmt.Sprintf("%q is not an environment variable name", m[2])
	case m[1] == "file" && !strings.HasPrefix(m[2], "/"):
		return fmt.Sprintf("file %q must be an absolute path", m[2])
	}
	return ""
}

// resolve reads a well-formed reference's value (a file's trailing newline is dropped).
func (r Resolver) resolve(ref string) (string, error) {
	m := refPattern.FindStringSubmatch(ref)
	if m == nil {
		return "", fmt.Errorf("%s", checkRef(ref))
	}
	if m[1] == "env" {
		look := r.LookupEnv
		if look == nil {
			look = os.LookupEnv
		}
		v, ok := look(m[2])
		if !ok || v == "" {
			return "", fmt.Errorf("environment variable %s is not set", m[2])
		}
		return v, nil
	}
	read := r.ReadFile
	if read == nil {
		read = os.ReadFile
	}
	b, err := read(m[2])
	if err != nil {
		return "", fmt.Errorf("read secret file %s: %w", m[2], err)
	}
	v := strings.TrimRight(string(b), "\r\n")
	if v == "" {
		return "", fmt.Errorf("secret file %s is empty", m[2])
	}
	return v, nil
}

// placeholder is the reference Export writes for a set channel secret: an environment
// variable named after the channel and the setting (WARDOPS_CHANNEL_OPS_MAIL_PASSWORD).
func placeholder(channel, secret string) string { return envPlaceholder("CHANNEL", channel, secret) }

// profilePlaceholder is the reference Export writes for a set SNMP secret of a profile
// (WARDOPS_PROFILE_CORE_V3_AUTH_PASSWORD).
func profilePlaceholder(profile, secret string) string {
	return envPlaceholder("PROFILE", profile, secret)
}

// devicePlaceholder is the reference Export writes for a set SNMP secret of a device's own
// settings (WARDOPS_DEVICE_CORE_SW1_COMMUNITY).
func devicePlaceholder(device, secret string) string { return envPlaceholder("DEVICE", device, secret) }

// envPlaceholder is ${env:WARDOPS_<KIND>_<NAME>_<SECRET>}, every other character than A-Z and
// 0-9 written as _.
func envPlaceholder(kind, name, secret string) string {
	var b strings.Builder
	for _, c := range strings.ToUpper(name + "_" + secret) {
		if (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	return "${env:WARDOPS_" + kind + "_" + b.String() + "}"
}
