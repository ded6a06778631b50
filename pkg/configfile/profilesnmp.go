package configfile

import (
	"errors"
	"reflect"
	"time"

	"github.com/wardops/wardops/pkg/snmp"
)

// A profile's SNMP settings are converted to and from snmp.ProfileSettings, the API's type:
// validation is snmp.Settings.Validate and snmp.NormalizeExtraOIDs, sealing is the snmp
// Service's, so a file accepts exactly what the API accepts.

// snmpSecret is one secret field of a profile's SNMP settings.
type snmpSecret struct {
	field string // the file's (and the API's) field name
	ref   func(*ProfileSNMP) *string
	value func(*snmp.Settings) *snmp.Secret
}

var snmpSecrets = []snmpSecret{
	{"community", func(p *ProfileSNMP) *string { return &p.Community }, func(s *snmp.Settings) *snmp.Secret { return &s.Community }},
	{"auth_password", func(p *ProfileSNMP) *string { return &p.AuthPassword }, func(s *snmp.Settings) *snmp.Secret { return &s.AuthPassword }},
	{"priv_password", func(p *ProfileSNMP) *string { return &p.PrivPassword }, func(s *snmp.Settings) *snmp.Secret { return &s.PrivPassword }},
}

// A device's own SNMP settings take the same paths as a profile's credentials: DeviceSNMP is
// converted to a ProfileSNMP without extra OIDs, its snmp.Settings to the Credentials of an
// snmp.ProfileSettings.

// asProfile is a device's SNMP settings as a profile's (no extra OIDs).
func asProfile(d DeviceSNMP) ProfileSNMP { return ProfileSNMP{SNMPCredentials: d} }

// deviceSNMPOf is the credentials of a profile's SNMP settings as a device's (nil: none).
func deviceSNMPOf(p *ProfileSNMP) *DeviceSNMP {
	if p == nil {
		return nil
	}
	return &p.SNMPCredentials
}

// credentialsOnly wraps a device's settings (nil: none) for the profile code paths.
func credentialsOnly(s *snmp.Settings) *snmp.ProfileSettings {
	if s == nil {
		return nil
	}
	return &snmp.ProfileSettings{Credentials: s}
}

// deviceSNMPToFile writes a device's own SNMP settings (nil: none) as snmpToFile does, with
// references named after the device (WARDOPS_DEVICE_<NAME>_<SECRET>).
func deviceSNMPToFile(device string, s *snmp.Settings) *DeviceSNMP {
	if s == nil {
		return nil
	}
	return deviceSNMPOf(snmpToFile(func(secret string) string { return devicePlaceholder(device, secret) }, credentialsOnly(s)))
}

// profileSNMPToFile writes a profile's SNMP settings (WARDOPS_PROFILE_<NAME>_<SECRET>).
func profileSNMPToFile(profile string, ps *snmp.ProfileSettings) *ProfileSNMP {
	return snmpToFile(func(secret string) string { return profilePlaceholder(profile, secret) }, ps)
}

// snmpToFile writes SNMP settings (nil: none) with the stored defaults spelled out; a set
// secret is written as its placeholder reference (ref of the field name), never its value.
func snmpToFile(ref func(secret string) string, ps *snmp.ProfileSettings) *ProfileSNMP {
	if ps == nil {
		return nil
	}
	out := &ProfileSNMP{}
	if ps.Credentials != nil {
		d := ps.Credentials.WithDefaults()
		out = &ProfileSNMP{SNMPCredentials: SNMPCredentials{Version: string(d.Version), Username: d.Username,
			SecurityLevel: string(d.SecurityLevel), AuthProtocol: string(d.AuthProtocol), PrivProtocol: string(d.PrivProtocol),
			ContextName: d.ContextName, Host: d.Host, Port: d.Port, TimeoutMS: int(d.Timeout.Milliseconds()),
			Retries: ptr(d.Retries), MaxRepetitions: d.MaxRepetitions}}
		for _, s := range snmpSecrets {
			if s.value(&d).IsSet() {
				*s.ref(out) = ref(s.field)
			}
		}
	}
	for _, e := range ps.ExtraOIDs {
		out.ExtraOIDs = append(out.ExtraOIDs, ExtraOID{Name: e.Name, OID: e.OID, Role: string(e.Role), Agg: string(e.Agg), Scale: e.Scale})
	}
	return out
}

// hasCredentials says whether a file's SNMP settings set more than extra OIDs.
func hasCredentials(p ProfileSNMP) bool {
	p.ExtraOIDs = nil
	return !reflect.ValueOf(p).IsZero()
}

// snmpFromFile is the snmp.ProfileSettings a file's settings ask for; values holds the
// resolved secrets by field name.
func snmpFromFile(p ProfileSNMP, values map[string]string) snmp.ProfileSettings {
	ps := snmp.ProfileSettings{ExtraOIDs: []snmp.ExtraOID{}}
	for _, e := range p.ExtraOIDs {
		ps.ExtraOIDs = append(ps.ExtraOIDs, snmp.ExtraOID{Name: e.Name, OID: e.OID, Role: snmp.Role(e.Role), Agg: snmp.Agg(e.Agg), Scale: e.Scale})
	}
	if !hasCredentials(p) {
		return ps
	}
	c := snmp.Settings{Version: snmp.Version(p.Version), Username: p.Username, SecurityLevel: snmp.SecurityLevel(p.SecurityLevel),
		AuthProtocol: snmp.AuthProtocol(p.AuthProtocol), PrivProtocol: snmp.PrivProtocol(p.PrivProtocol), ContextName: p.ContextName,
		Host: p.Host, Port: p.Port, Timeout: time.Duration(p.TimeoutMS) * time.Millisecond, Retries: snmp.DefaultRetries,
		MaxRepetitions: p.MaxRepetitions}
	if p.Retries != nil {
		c.Retries = *p.Retries
	}
	for _, s := range snmpSecrets {
		if v := values[s.field]; v != "" {
			*s.value(&c) = snmp.NewSecret(v)
		}
	}
	ps.Credentials = &c
	return ps
}

// snmpSecretFields compares the secrets of the stored and the wanted settings by their
// opened values; the diff shows "(set)" and "(changed)", never a value.
func snmpSecretFields(cur, want *snmp.ProfileSettings) []FieldChange {
	var out []FieldChange
	for _, s := range snmpSecrets {
		old, new := secretValue(cur, s), secretValue(want, s)
		field := "snmp." + s.field
		switch {
		case old == new:
		case old == "":
			out = append(out, FieldChange{Field: field, Old: nil, New: "(set)"})
		case new == "":
			out = append(out, FieldChange{Field: field, Old: "(set)", New: nil})
		default:
			out = append(out, FieldChange{Field: field, Old: "(set)", New: "(changed)"})
		}
	}
	return out
}

func secretValue(ps *snmp.ProfileSettings, s snmpSecret) string {
	if ps == nil || ps.Credentials == nil {
		return ""
	}
	return s.value(ps.Credentials).Reveal()
}

// withoutSecrets blanks the references of a file profile's SNMP settings (they are compared
// by value, by snmpSecretFields).
func withoutSecrets(p Profile) Profile {
	p.SNMP = blankSecrets(p.SNMP)
	return p
}

// deviceWithoutSecrets is withoutSecrets for a device's own SNMP settings.
func deviceWithoutSecrets(d Device) Device {
	if d.SNMP != nil {
		d.SNMP = deviceSNMPOf(blankSecrets(ptr(asProfile(*d.SNMP))))
	}
	return d
}

func blankSecrets(p *ProfileSNMP) *ProfileSNMP {
	if p == nil {
		return nil
	}
	c := *p
	for _, s := range snmpSecrets {
		*s.ref(&c) = ""
	}
	return &c
}

// checkProfileSNMP resolves the references of a profile's SNMP settings and validates them
// with the API's rules; the resolved settings are kept for the apply.
func (c *checker) checkProfileSNMP(path string, p Profile) {
	if p.SNMP == nil {
		return
	}
	c.profileSNMP[p.Name] = c.checkSNMP(path+".snmp", *p.SNMP)
}

// checkDeviceSNMP is checkProfileSNMP for a device's own SNMP settings.
func (c *checker) checkDeviceSNMP(path string, d Device) {
	if d.SNMP == nil {
		return
	}
	ps := c.checkSNMP(path+".snmp", asProfile(*d.SNMP))
	if ps.Credentials == nil {
		c.fail(path+".snmp.version", "is required (a device's snmp block is its credentials)")
		return
	}
	c.deviceSNMP[d.Name] = *ps.Credentials
}

// checkSNMP resolves and validates SNMP settings at path; it returns the resolved settings.
func (c *checker) checkSNMP(path string, p ProfileSNMP) snmp.ProfileSettings {
	values, failed := map[string]string{}, map[string]bool{}
	for _, s := range snmpSecrets {
		ref := *s.ref(&p)
		if ref == "" {
			continue
		}
		if msg := checkRef(ref); msg != "" {
			c.fail(path+"."+s.field, "%s", msg)
			failed[s.field] = true
			continue
		}
		v, err := c.res.resolve(ref)
		if err != nil {
			c.fail(path+"."+s.field, "%v", err)
			failed[s.field] = true
			continue
		}
		values[s.field] = v
	}
	ps := snmpFromFile(p, values)
	if ps.Credentials != nil {
		for _, err := range unjoin(ps.Credentials.Validate()) {
			var fe *snmp.FieldError
			if errors.As(err, &fe) && failed[fe.Field] {
				continue // its reference is already reported
			}
			c.fieldFail(path, err)
		}
	}
	norm, err := snmp.NormalizeExtraOIDs(ps.ExtraOIDs)
	if err != nil {
		c.fieldFail(path, err)
	}
	if norm != nil {
		ps.ExtraOIDs = norm
	}
	return ps
}

// unjoin lists the errors of an errors.Join (nil: none).
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
