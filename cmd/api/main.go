// Command api serves WardOps' REST API, dashboard, live events, asynqmon (/monitoring) and
// /metrics on WARDOPS_HTTP_ADDR (default :5001). `api migrate` applies the schema and exits;
// `api user|token|tasks|schedule|profile|region|branch …` is the admin CLI (pkg/app.RunAPI).
package main

import (
	"os"

	"github.com/wardops/wardops/pkg/app"
)

func main() { os.Exit(app.RunAPI(os.Args[1:])) }
