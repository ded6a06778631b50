package configfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/wardops/wardops/pkg/audit"
)

// CLIUsage describes `api config …`.
const CLIUsage = `configuration as code (docs/CONFIG.md):
  api config export                          write the configuration as YAML to stdout
  api config apply FILE [--dry-run] [--prune] make the database match FILE (all or nothing), print the diff
  api config schema                          write the file's JSON Schema to stdout
`

// ErrUsage is returned for a malformed `api config` command.
var ErrUsage = errors.New("usage")

// RunCLI runs one `api config` command as the "cli" actor. A refused file returns Errors
// (print one a line); the diff goes to stdout.
func RunCLI(ctx context.Context, args []string, svc *Service, stdout io.Writer) error {
	ctx = audit.WithActor(ctx, audit.Actor{Name: "cli", Via: audit.ViaCLI})
	if len(args) == 0 {
		return fmt.Errorf("%w: need export, apply or schema", ErrUsage)
	}
	switch args[0] {
	case "export", "schema":
		if len(args) != 1 {
			return fmt.Errorf("%w: %s takes no arguments", ErrUsage, args[0])
		}
		out := Schema()
		if args[0] == "export" {
			var err error
			if out, err = svc.Export(ctx); err != nil {
				return err
			}
		}
		_, err := stdout.Write(out)
		return err
	case "apply":
		return cliApply(ctx, args[1:], svc, stdout)
	}
	return fmt.Errorf("%w: unknown command config %s", ErrUsage, args[0])
}

func cliApply(ctx context.Context, args []string, svc *Service, stdout io.Writer) error {
	var opt Options
	var file string
	for _, a := range args {
		switch {
		case a == "--dry-run":
			opt.DryRun = true
		case a == "--prune":
			opt.Prune = true
		case file == "" && len(a) > 0 && a[0] != '-':
			file = a
		default:
			return fmt.Errorf("%w: unexpected argument %q", ErrUsage, a)
		}
	}
	if file == "" {
		return fmt.Errorf("%w: apply needs a FILE", ErrUsage)
	}
	data, err := readLimited(file)
	if err != nil {
		return err
	}
	doc, err := Parse(file, data)
	if err != nil {
		return err
	}
	res, err := svc.Apply(ctx, doc, opt)
	if err != nil {
		return err
	}
	return res.WriteText(stdout)
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read configuration %s: %w", path, err)
	}
	return b, nil
}
