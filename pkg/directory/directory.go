package directory

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/config"
)

// adAccountDisable is the ACCOUNTDISABLE bit of AD's userAccountControl.
const adAccountDisable = 0x2

// LDAP is a directory over LDAP. Each sign-in opens its own connection (sign-ins are rare
// next to the argon2 cost they replace; no pool to go stale behind a firewall). It is safe for
// concurrent use.
type LDAP struct {
	cfg    config.LDAP
	tls    *tls.Config
	groups map[string]auth.Grant // normalised group DN → grant
	log    *slog.Logger
}

var _ auth.Directory = (*LDAP)(nil)

// New checks cfg (as config.LoadAPI has) and prepares the TLS settings and group map.
func New(cfg config.LDAP, logger *slog.Logger) (*LDAP, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "ldaps" && !(u.Scheme == "ldap" && cfg.StartTLS)) {
		return nil, fmt.Errorf("directory URL %q: want ldaps://, or ldap:// with StartTLS", cfg.URL)
	}
	tc := &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read directory CA file: %w", err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("directory CA file %s holds no PEM certificate", cfg.CAFile)
		}
	}
	d := &LDAP{cfg: cfg, tls: tc, groups: map[string]auth.Grant{}, log: logger}
	for _, g := range cfg.Groups {
		role, err := auth.ParseRole(g.Role)
		if err != nil {
			return nil, fmt.Errorf("group %s: %w", g.DN, err)
		}
		key, err := normDN(g.DN)
		if err != nil {
			return nil, fmt.Errorf("group %q: %w", g.DN, err)
		}
		d.groups[key] = auth.Grant{Group: g.DN, Role: role, Regions: g.Regions, Branches: g.Branches}
	}
	if len(d.groups) == 0 {
		return nil, errors.New("directory: no group is mapped to a role")
	}
	return d, nil
}

// Authenticate implements auth.Directory: search, disabled check, bind as the user, groups.
func (d *LDAP) Authenticate(ctx context.Context, username, password string) (auth.DirectoryUser, error) {
	if password == "" { // an empty password makes a simple bind "unauthenticated": it always succeeds
		return auth.DirectoryUser{}, &auth.DirectoryRefusal{Reason: auth.RefusedWrongPassword}
	}
	return d.read(ctx, username, func(c *ldap.Conn, dn string) error {
		err := c.Bind(dn, password)
		if ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
			return &auth.DirectoryRefusal{Reason: auth.RefusedWrongPassword}
		}
		if err != nil {
			return fmt.Errorf("%w: bind as user: %w", auth.ErrDirectoryUnavailable, err)
		}
		// back to the service account: group searches must not depend on what users may read
		return d.bindService(c)
	})
}

// Lookup implements auth.Directory: the same without the password.
func (d *LDAP) Lookup(ctx context.Context, username string) (auth.DirectoryUser, error) {
	return d.read(ctx, username, nil)
}

// read connects, finds username, refuses a disabled account, runs check (the user bind) if
// given, then resolves and maps the groups.
func (d *LDAP) read(ctx context.Context, username string, check func(*ldap.Conn, string) error) (auth.DirectoryUser, error) {
	c, err := d.connect(ctx)
	if err != nil {
		return auth.DirectoryUser{}, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() }) // a cancelled request ends its LDAP calls
	defer stop()
	entry, err := d.findUser(c, username)
	if err != nil {
		return auth.DirectoryUser{}, err
	}
	if disabled(entry) {
		return auth.DirectoryUser{}, &auth.DirectoryRefusal{Reason: auth.RefusedDisabled}
	}
	if check != nil {
		if err := check(c, entry.DN); err != nil {
			return auth.DirectoryUser{}, err
		}
	}
	groups, err := d.groupsOf(c, entry)
	if err != nil {
		return auth.DirectoryUser{}, err
	}
	du := auth.DirectoryUser{Username: strings.ToLower(username), DN: entry.DN, Groups: groups}
	for _, g := range groups {
		if key, err := normDN(g); err == nil {
			if grant, ok := d.groups[key]; ok {
				du.Grants = append(du.Grants, grant)
			}
		}
	}
	if len(du.Grants) == 0 {
		return du, &auth.DirectoryRefusal{Reason: auth.RefusedNoGroup}
	}
	return du, nil
}

// connect dials, upgrades to TLS when configured, and binds as the service account.
func (d *LDAP) connect(ctx context.Context) (*ldap.Conn, error) {
	dialer := &net.Dialer{Timeout: d.cfg.Timeout}
	if dl, ok := ctx.Deadline(); ok {
		dialer.Deadline = dl
	}
	c, err := ldap.DialURL(d.cfg.URL, ldap.DialWithDialer(dialer), ldap.DialWithTLSConfig(d.tls))
	if err != nil {
		return nil, fmt.Errorf("%w: connect: %w", auth.ErrDirectoryUnavailable, err)
	}
	c.SetTimeout(d.cfg.Timeout)
	if d.cfg.StartTLS {
		if err := c.StartTLS(d.tls.Clone()); err != nil {
			c.Close()
			return nil, fmt.Errorf("%w: StartTLS: %w", auth.ErrDirectoryUnavailable, err)
		}
	}
	if err := d.bindService(c); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (d *LDAP) bindService(c *ldap.Conn) error {
	if err := c.Bind(d.cfg.BindDN, d.cfg.BindPassword); err != nil {
		return fmt.Errorf("%w: bind as service account: %w", auth.ErrDirectoryUnavailable, err)
	}
	return nil
}

// userAttrs are read from the user's entry: the disabled markers of AD (userAccountControl)
// and of OpenLDAP's ppolicy (pwdAccountLockedTime), and AD's memberOf.
var userAttrs = []string{"userAccountControl", "pwdAccountLockedTime", "memberOf"}

// findUser returns the one entry the user filter matches under the user base.
func (d *LDAP) findUser(c *ldap.Conn, username string) (*ldap.Entry, error) {
	filter := strings.ReplaceAll(d.cfg.UserFilter, "{username}", ldap.EscapeFilter(username))
	res, err := c.Search(ldap.NewSearchRequest(d.cfg.UserBase, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
		2, int(d.cfg.Timeout.Seconds())+1, false, filter, userAttrs, nil))
	if ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
		return nil, &auth.DirectoryRefusal{Reason: "several directory entries match"}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: search user: %w", auth.ErrDirectoryUnavailable, err)
	}
	switch len(res.Entries) {
	case 0:
		return nil, &auth.DirectoryRefusal{Reason: auth.RefusedUnknownUser}
	case 1:
		return res.Entries[0], nil
	default:
		return nil, &auth.DirectoryRefusal{Reason: "several directory entries match"}
	}
}

// disabled reports an AD account with ACCOUNTDISABLE set, or an OpenLDAP ppolicy lock.
func disabled(e *ldap.Entry) bool {
	if v := e.GetAttributeValue("userAccountControl"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n&adAccountDisable != 0 {
			return true // unreadable counts as disabled: fail closed
		}
	}
	return e.GetAttributeValue("pwdAccountLockedTime") != ""
}

// groupsOf returns the DNs of every group the user is in: memberOf values and the group
// filter's answers for the user, then, level by level up to GroupDepth, the groups that
// contain those groups. Each group is asked about once, so membership loops end.
func (d *LDAP) groupsOf(c *ldap.Conn, user *ldap.Entry) ([]string, error) {
	seen := map[string]bool{}
	var all []string
	add := func(dns []string) []string {
		var fresh []string
		for _, dn := range dns {
			key, err := normDN(dn)
			if err != nil || seen[key] {
				continue
			}
			seen[key] = true
			all = append(all, dn)
			fresh = append(fresh, dn)
		}
		return fresh
	}
	level, err := d.groupsContaining(c, user.DN)
	if err != nil {
		return nil, err
	}
	level = add(append(user.GetAttributeValues("memberOf"), level...))
	for depth := 1; depth < d.cfg.GroupDepth && len(level) > 0; depth++ {
		var next []string
		for _, g := range level {
			parents, err := d.groupsContaining(c, g)
			if err != nil {
				return nil, err
			}
			next = append(next, parents...)
		}
		level = add(next)
	}
	return all, nil
}

// groupsContaining runs the group filter for one member DN.
func (d *LDAP) groupsContaining(c *ldap.Conn, member string) ([]string, error) {
	filter := strings.ReplaceAll(d.cfg.GroupFilter, "{dn}", ldap.EscapeFilter(member))
	res, err := c.SearchWithPaging(ldap.NewSearchRequest(d.cfg.GroupBase, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
		0, int(d.cfg.Timeout.Seconds())+1, false, filter, []string{"1.1"}, nil), 500)
	if err != nil {
		return nil, fmt.Errorf("%w: search groups of %s: %w", auth.ErrDirectoryUnavailable, member, err)
	}
	out := make([]string, len(res.Entries))
	for i, e := range res.Entries {
		out[i] = e.DN
	}
	return out, nil
}

// normDN is the comparison form of a DN: attribute types and values lower-cased, spacing and
// escaping as ParseDN reads them.
func normDN(s string) (string, error) {
	dn, err := ldap.ParseDN(s)
	if err != nil {
		return "", err
	}
	rdns := make([]string, len(dn.RDNs))
	for i, r := range dn.RDNs {
		parts := make([]string, len(r.Attributes))
		for j, a := range r.Attributes {
			parts[j] = strings.ToLower(a.Type) + "=" + strings.ToLower(a.Value)
		}
		rdns[i] = strings.Join(parts, "+")
	}
	return strings.Join(rdns, ","), nil
}
