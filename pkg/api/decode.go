package api

import (
	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/httpsec"
)

// MaxBody is the largest request body the API reads (1 MiB); larger bodies get 413.
const MaxBody = httpsec.DefaultMaxJSONBytes

// decodeStrict reads the request's JSON body into v with the one strict decoder of the API
// (httpsec.Bind): Content-Type must be application/json (415), and duplicate keys, keys that
// differ from a field only by case, unknown fields, wrong types, trailing data and oversized
// bodies are 4xx errors naming the field where there is one.
func decodeStrict(c *echo.Context, v any) error { return httpsec.Bind(c, v) }
