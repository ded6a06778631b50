package auth

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/wardops/wardops/pkg/audit"
)

// CLIUsage documents the subcommands RunCLI understands.
const CLIUsage = `usage:
  api user add NAME [--role viewer|operator|admin] [--password-env VAR] [--regions A,B] [--branches C,D]
  api user passwd NAME [--password-env VAR]
  api user scope NAME [--regions A,B] [--branches C,D]   (neither: every device)
  api user disable NAME
  api user enable NAME
  api user list
  api token create --name NAME --role ROLE [--user NAME] [--expires-in-days N]
  api token create --display --name NAME [--user NAME] [--expires-in-days N]
                                   (a wall screen's sign-in: viewer, no expiry unless given)
  api token list
  api token revoke ID
Passwords are read from the environment variable named by --password-env, or from stdin (one
line; prompted without echo on a terminal). They are never taken from the command line.
A scope limits a viewer or operator to the devices of the listed regions or branches; an admin
cannot be scoped.`

// ErrUsage is returned (wrapped) for a malformed command line; print CLIUsage.
var ErrUsage = errors.New("usage")

// RunCLI runs one user or token administration command, args being what follows the binary
// name ("user", "add", "alice", "--role", "operator"). Changes are audited with actor "cli".
func RunCLI(ctx context.Context, args []string, svc *Service, stdin io.Reader, stdout io.Writer) error {
	ctx = audit.WithActor(ctx, audit.Actor{Name: "cli", Via: audit.ViaCLI})
	if len(args) < 2 {
		return fmt.Errorf("%w: need a command", ErrUsage)
	}
	cmd := args[0] + " " + args[1]
	rest := args[2:]
	switch cmd {
	case "user add":
		return cliUserAdd(ctx, svc, rest, stdin, stdout)
	case "user passwd":
		return cliUserPasswd(ctx, svc, rest, stdin, stdout)
	case "user scope":
		return cliUserScope(ctx, svc, rest, stdout)
	case "user disable", "user enable":
		return cliUserEnable(ctx, svc, rest, args[1] == "enable", stdout)
	case "user list":
		return cliUserList(ctx, svc, stdout)
	case "token create":
		return cliTokenCreate(ctx, svc, rest, stdout)
	case "token list":
		return cliTokenList(ctx, svc, stdout)
	case "token revoke":
		return cliTokenRevoke(ctx, svc, rest, stdout)
	}
	return fmt.Errorf("%w: unknown command %q", ErrUsage, cmd)
}

// parseNamed parses fs from args that hold one positional NAME before or after the flags.
func parseNamed(fs *flag.FlagSet, args []string) (string, error) {
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return "", fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return "", fmt.Errorf("%w: unexpected %q", ErrUsage, fs.Arg(0))
	}
	if name == "" {
		return "", fmt.Errorf("%w: need a NAME", ErrUsage)
	}
	return name, nil
}

func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func cliUserAdd(ctx context.Context, svc *Service, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := newFlags("user add")
	roleName := fs.String("role", "viewer", "viewer, operator or admin")
	pwEnv := fs.String("password-env", "", "read the password from this environment variable")
	scope := scopeFlags(fs)
	name, err := parseNamed(fs, args)
	if err != nil {
		return err
	}
	role, err := ParseRole(*roleName)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	pw, err := readPassword(*pwEnv, stdin, stdout)
	if err != nil {
		return err
	}
	u, err := svc.CreateUser(ctx, NewUser{Username: name, Role: role, Password: pw, Scope: scope()})
	if err != nil {
		return fmt.Errorf("add user %s: %w", name, err)
	}
	_, err = fmt.Fprintf(stdout, "user %s (id %d) created with role %s, scope %s\n", u.Username, u.ID, u.Role, scopeOf(u))
	return err
}

// scopeFlags adds --regions and --branches (comma-separated) to fs; the returned function
// reads them after parsing.
func scopeFlags(fs *flag.FlagSet) func() Scope {
	regions := fs.String("regions", "", "comma-separated regions the user is limited to")
	branches := fs.String("branches", "", "comma-separated branches the user is limited to")
	return func() Scope { return Scope{Regions: splitList(*regions), Branches: splitList(*branches)} }
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// cliUserScope sets a user's scope to exactly the given lists (neither: every device).
func cliUserScope(ctx context.Context, svc *Service, args []string, stdout io.Writer) error {
	fs := newFlags("user scope")
	scope := scopeFlags(fs)
	name, err := parseNamed(fs, args)
	if err != nil {
		return err
	}
	u, err := svc.store.UserByName(ctx, NormalizeUsername(name))
	if err != nil {
		return fmt.Errorf("set scope of %s: %w", name, err)
	}
	sc := scope()
	if u, err = svc.UpdateUser(ctx, u.ID, UserChange{Scope: &sc}); err != nil {
		return fmt.Errorf("set scope of %s: %w", name, err)
	}
	_, err = fmt.Fprintf(stdout, "scope of %s is now %s; their sessions are ended\n", u.Username, scopeOf(u))
	return err
}

func cliUserPasswd(ctx context.Context, svc *Service, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := newFlags("user passwd")
	pwEnv := fs.String("password-env", "", "read the password from this environment variable")
	name, err := parseNamed(fs, args)
	if err != nil {
		return err
	}
	u, err := svc.store.UserByName(ctx, NormalizeUsername(name))
	if err != nil {
		return fmt.Errorf("set password of %s: %w", name, err)
	}
	pw, err := readPassword(*pwEnv, stdin, stdout)
	if err != nil {
		return err
	}
	if _, err := svc.UpdateUser(ctx, u.ID, UserChange{Password: &pw}); err != nil {
		return fmt.Errorf("set password of %s: %w", name, err)
	}
	_, err = fmt.Fprintf(stdout, "password of %s changed; their sessions are ended\n", u.Username)
	return err
}

func cliUserEnable(ctx context.Context, svc *Service, args []string, enable bool, stdout io.Writer) error {
	name, err := parseNamed(newFlags("user enable"), args)
	if err != nil {
		return err
	}
	u, err := svc.store.UserByName(ctx, NormalizeUsername(name))
	if err != nil {
		return fmt.Errorf("change user %s: %w", name, err)
	}
	disabled := !enable
	if _, err := svc.UpdateUser(ctx, u.ID, UserChange{Disabled: &disabled}); err != nil {
		return fmt.Errorf("change user %s: %w", name, err)
	}
	state := map[bool]string{true: "enabled", false: "disabled; their sessions are ended"}[enable]
	_, err = fmt.Fprintf(stdout, "user %s %s\n", u.Username, state)
	return err
}

func cliUserList(ctx context.Context, svc *Service, stdout io.Writer) error {
	users, err := svc.store.ListUsers(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSERNAME\tROLE\tSCOPE\tDISABLED\tLAST LOGIN")
	for _, u := range users {
		last := "-"
		if u.LastLoginAt != nil {
			last = u.LastLoginAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%t\t%s\n", u.ID, u.Username, u.Role, scopeOf(u), u.Disabled, last)
	}
	return tw.Flush()
}

func cliTokenCreate(ctx context.Context, svc *Service, args []string, stdout io.Writer) error {
	fs := newFlags("token create")
	name := fs.String("name", "", "what the token is for")
	roleName := fs.String("role", "", "viewer, operator or admin")
	owner := fs.String("user", BootstrapUsername, "the user the token acts as")
	days := fs.Int("expires-in-days", 0, fmt.Sprintf("lifetime in days (1-3650; default %d, a display token none)", int(DefaultTokenLifetime/(24*time.Hour))))
	display := fs.Bool("display", false, "a display token: signs a wall screen in (viewer, wall only)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || *name == "" {
		return fmt.Errorf("%w: token create needs --name and --role (or --display)", ErrUsage)
	}
	if *display && *roleName == "" {
		*roleName = RoleViewer.String()
	}
	role, err := ParseRole(*roleName)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if *days == 0 && !*display {
		*days = int(DefaultTokenLifetime / (24 * time.Hour))
	}
	if *days < 0 || *days > 3650 || (*days == 0 && !*display) {
		return fmt.Errorf("%w: --expires-in-days must be 1 to 3650", ErrUsage)
	}
	var expires time.Time
	if *days > 0 {
		expires = svc.now().Add(time.Duration(*days) * 24 * time.Hour)
	}
	u, err := svc.store.UserByName(ctx, NormalizeUsername(*owner))
	if err != nil {
		return fmt.Errorf("create token: user %s: %w", *owner, err)
	}
	secret, t, err := svc.CreateToken(ctx, NewToken{Name: *name, UserID: u.ID, Role: role, ExpiresAt: expires, Display: *display})
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	exp := "never"
	if t.ExpiresAt != nil {
		exp = t.ExpiresAt.Format(time.RFC3339)
	}
	_, err = fmt.Fprintf(stdout, "%s token %d %q (role %s, user %s, expires %s); the secret is shown only now:\n%s\n",
		t.Purpose, t.ID, t.Name, t.Role, t.Username, exp, secret)
	if err == nil && *display {
		_, err = fmt.Fprintf(stdout, "open the wall screen at http://<api-host>:5001/#/wall?display=%s\n", secret)
	}
	return err
}

func cliTokenList(ctx context.Context, svc *Service, stdout io.Writer) error {
	tokens, err := svc.store.ListAPITokens(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tPURPOSE\tUSER\tROLE\tPREFIX\tEXPIRES\tACTIVE")
	for _, t := range tokens {
		v := tokenView(t, svc.now())
		exp := "-"
		if t.ExpiresAt != nil {
			exp = t.ExpiresAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s…\t%s\t%t\n", t.ID, t.Name, t.Purpose, t.Username, t.Role, t.Prefix, exp, v.Active)
	}
	return tw.Flush()
}

func cliTokenRevoke(ctx context.Context, svc *Service, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return fmt.Errorf("%w: token revoke needs one ID", ErrUsage)
	}
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil {
		return fmt.Errorf("%w: token id %q", ErrUsage, args[0])
	}
	if _, err := svc.RevokeToken(ctx, id); err != nil {
		return fmt.Errorf("revoke token %d: %w", id, err)
	}
	_, err = fmt.Fprintf(stdout, "token %d revoked\n", id)
	return err
}

// readPassword takes the password from the named environment variable, or from stdin: without
// echo (asked twice) on a terminal, else the first line.
func readPassword(envVar string, stdin io.Reader, stdout io.Writer) (string, error) {
	if envVar != "" {
		pw, ok := os.LookupEnv(envVar)
		if !ok || pw == "" {
			return "", fmt.Errorf("password: environment variable %s is not set", envVar)
		}
		return pw, nil
	}
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return readTerminalPassword(int(f.Fd()), stdout)
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, MaxPasswordLen+2)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("password: stdin gave an empty line (pipe it in or use --password-env)")
	}
	return pw, nil
}

func readTerminalPassword(fd int, stdout io.Writer) (string, error) {
	var pws [2]string
	for i, prompt := range []string{"Password: ", "Again: "} {
		fmt.Fprint(stdout, prompt)
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(stdout)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		pws[i] = string(b)
	}
	if pws[0] != pws[1] {
		return "", errors.New("password: the two entries differ")
	}
	return pws[0], nil
}
