package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/audit"
	"github.com/wardops/wardops/pkg/httpsec"
	"github.com/wardops/wardops/pkg/store"
)

// ConfigCLIUsage describes `api profile|region|branch …`.
const ConfigCLIUsage = `configuration commands (the same checks as the API; every write is audited):
  api profile list | show ID | create FIELD=VALUE… | update ID FIELD=VALUE… | delete ID
  api region  list | show ID | create FIELD=VALUE… | update ID FIELD=VALUE… | delete ID
  api branch  list | show ID | create FIELD=VALUE… | update ID FIELD=VALUE… | delete ID
FIELD names are the API's JSON fields; a VALUE that is JSON (5, null, ["atm"], {…}) is used as
such, anything else as a string: api branch create name=Olten region=North time_zone=Europe/Zurich
`

// ErrCLIUsage is returned for a malformed configuration command.
var ErrCLIUsage = errors.New("usage")

// Auditor records a change; *audit.Recorder implements it.
type Auditor interface {
	Record(ctx context.Context, e audit.Entry) error
}

var _ Auditor = (*audit.Recorder)(nil)

// ConfigCLIParams are what the configuration commands need. Store, Redis and Audit are required.
type ConfigCLIParams struct {
	Store       *store.Store
	Redis       redis.UniversalClient
	ProfileSNMP ProfileSNMP
	Audit       Auditor
	Logger      *slog.Logger
}

// RunConfigCLI runs one `api profile|region|branch` command, writing to stdout.
func RunConfigCLI(ctx context.Context, args []string, p ConfigCLIParams, stdout io.Writer) error {
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	ctx = audit.WithActor(ctx, audit.Actor{Name: "cli", Via: audit.ViaCLI})
	s := &Server{p: Params{Store: p.Store, Redis: p.Redis, ProfileSNMP: p.ProfileSNMP, Logger: p.Logger}}
	if len(args) < 2 {
		return fmt.Errorf("%w: need an object and a command", ErrCLIUsage)
	}
	obj, cmd, rest := args[0], args[1], args[2:]
	kind, ok := cliKinds[obj]
	if !ok {
		return fmt.Errorf("%w: unknown object %q", ErrCLIUsage, obj)
	}
	if cmd == "list" {
		if len(rest) != 0 {
			return fmt.Errorf("%w: %s list takes no arguments", ErrCLIUsage, obj)
		}
		return kind.list(ctx, s, stdout)
	}
	var id int64
	if cmd != "create" {
		if len(rest) == 0 {
			return fmt.Errorf("%w: %s %s needs an id", ErrCLIUsage, obj, cmd)
		}
		n, err := strconv.ParseInt(rest[0], 10, 64)
		if err != nil || n <= 0 {
			return fmt.Errorf("%w: %q is not an id", ErrCLIUsage, rest[0])
		}
		id, rest = n, rest[1:]
	}
	switch cmd {
	case "show":
		v, err := kind.get(ctx, s, id)
		if err != nil {
			return cliError(err)
		}
		return printJSON(stdout, v)
	case "delete":
		if err := kind.del(ctx, s, id); err != nil {
			return cliError(err)
		}
		_ = p.Audit.Record(ctx, audit.Entry{Action: obj + ".delete", TargetType: obj, TargetID: strconv.FormatInt(id, 10)})
		_, err := fmt.Fprintf(stdout, "%s %d deleted\n", obj, id)
		return err
	case "create", "update":
		body, err := cliBody(rest)
		if err != nil {
			return err
		}
		v, newID, err := kind.save(ctx, s, id, body)
		if err != nil {
			return cliError(err)
		}
		_ = p.Audit.Record(ctx, audit.Entry{Action: obj + "." + cmd, TargetType: obj, TargetID: strconv.FormatInt(newID, 10), After: v})
		return printJSON(stdout, v)
	}
	return fmt.Errorf("%w: unknown command %s %s", ErrCLIUsage, obj, cmd)
}

// cliKind is one object the configuration commands manage.
type cliKind struct {
	list func(ctx context.Context, s *Server, w io.Writer) error
	get  func(ctx context.Context, s *Server, id int64) (any, error)
	del  func(ctx context.Context, s *Server, id int64) error
	// save creates (id 0) or updates from a JSON body decoded by the API's strict decoder
	save func(ctx context.Context, s *Server, id int64, body []byte) (any, int64, error)
}

var cliKinds = map[string]cliKind{
	"profile": {list: cliListProfiles,
		get: func(ctx context.Context, s *Server, id int64) (any, error) {
			p, err := s.p.Store.GetProfile(ctx, id)
			if err != nil {
				return nil, storeError(err, "profile", id)
			}
			return s.profileView(ctx, p)
		},
		del: func(ctx context.Context, s *Server, id int64) error {
			if err := s.p.Store.DeleteProfile(ctx, id); err != nil {
				return storeError(err, "profile", id)
			}
			s.invalidateProfiles(ctx)
			return nil
		},
		save: func(ctx context.Context, s *Server, id int64, body []byte) (any, int64, error) {
			var b profileBody
			if err := httpsec.DecodeJSON(bytes.NewReader(body), &b); err != nil {
				return nil, 0, err
			}
			p := newProfile()
			if id != 0 {
				var err error
				if p, err = s.p.Store.GetProfile(ctx, id); err != nil {
					return nil, 0, storeError(err, "profile", id)
				}
			} else if b.Name == nil {
				return nil, 0, badRequest("name", "name is required")
			}
			v, err := s.saveProfile(ctx, b, p)
			return v, v.ID, err
		}},
	"region": {list: cliListRegions,
		get: func(ctx context.Context, s *Server, id int64) (any, error) {
			r, err := s.p.Store.GetRegion(ctx, id)
			return r, storeError(err, "region", id)
		},
		del: func(ctx context.Context, s *Server, id int64) error {
			return storeError(s.p.Store.DeleteRegion(ctx, id), "region", id)
		},
		save: func(ctx context.Context, s *Server, id int64, body []byte) (any, int64, error) {
			var b regionBody
			if err := httpsec.DecodeJSON(bytes.NewReader(body), &b); err != nil {
				return nil, 0, err
			}
			r, err := s.saveRegion(ctx, id, b)
			return r, r.ID, err
		}},
	"branch": {list: cliListBranches,
		get: func(ctx context.Context, s *Server, id int64) (any, error) {
			b, err := s.p.Store.GetBranch(ctx, id)
			return b, storeError(err, "branch", id)
		},
		del: func(ctx context.Context, s *Server, id int64) error {
			return storeError(s.p.Store.DeleteBranch(ctx, id), "branch", id)
		},
		save: func(ctx context.Context, s *Server, id int64, body []byte) (any, int64, error) {
			var b branchBody
			if err := httpsec.DecodeJSON(bytes.NewReader(body), &b); err != nil {
				return nil, 0, err
			}
			out, err := s.saveBranch(ctx, id, b)
			return out, out.ID, err
		}},
}

// cliBody turns FIELD=VALUE arguments into a JSON object (JSON values as such, the rest as
// strings).
func cliBody(args []string) ([]byte, error) {
	m := map[string]json.RawMessage{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%w: %q is not FIELD=VALUE", ErrCLIUsage, a)
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("%w: %s given twice", ErrCLIUsage, k)
		}
		raw := json.RawMessage(v)
		if !json.Valid(raw) || strings.TrimSpace(v) == "" {
			raw, _ = json.Marshal(v) // a string always marshals
		}
		m[k] = raw
	}
	return json.Marshal(m)
}

// cliError words an API error for a terminal: "field: message".
func cliError(err error) error {
	var ae *Error
	if errors.As(err, &ae) {
		if ae.Field != "" {
			return fmt.Errorf("%s: %s", ae.Field, ae.Message)
		}
		return errors.New(ae.Message)
	}
	return err
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func cliListProfiles(ctx context.Context, s *Server, w io.Writer) error {
	ps, err := s.p.Store.ListProfiles(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tPINGS\tSPACING_MS\tTIMEOUT_MS\tDEGRADED_LOSS_PCT\tDEVICE_TYPES")
	for _, p := range ps {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%d\t%g\t%s\n", p.ID, p.Name, p.PingCount, p.PingIntervalMS, p.PingTimeoutMS,
			p.DegradedLossPct, strings.Join(p.DeviceTypes, ","))
	}
	return tw.Flush()
}

func cliListRegions(ctx context.Context, s *Server, w io.Writer) error {
	rs, err := s.p.Store.ListRegions(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tBRANCHES\tDEVICES\tDESCRIPTION")
	for _, r := range rs {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%s\n", r.ID, r.Name, r.Branches, r.Devices, r.Description)
	}
	return tw.Flush()
}

func cliListBranches(ctx context.Context, s *Server, w io.Writer) error {
	bs, err := s.p.Store.ListBranches(ctx, 0)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tREGION\tDEVICES\tTIME_ZONE\tISP\tCIRCUIT")
	for _, b := range bs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\t%s\n", b.ID, b.Name, b.Region, b.Devices, b.TimeZone, b.ISP, b.CircuitID)
	}
	return tw.Flush()
}
