package api

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/httpsec"
	"github.com/wardops/wardops/pkg/inventory"
	"github.com/wardops/wardops/pkg/store"
)

// MaxImportBody bounds a CSV import (32 MiB: about 400,000 devices).
const MaxImportBody = 32 << 20

const importPath = "/api/v1/devices/import"

// importDevices takes a CSV (text/csv body, or multipart field "file"), checks every line and
// writes all devices in one transaction — or nothing, answering 422 with every bad line.
func (s *Server) importDevices(c *echo.Context) error {
	body, err := importBody(c)
	if err != nil {
		return err
	}
	rows, lineErrs := inventory.ParseCSV(bytes.NewReader(body))
	ctx := c.Request().Context()
	if ext := inventory.ExternalParents(rows); len(ext) > 0 {
		exist, err := s.p.Store.DeviceNamesExist(ctx, ext)
		if err != nil {
			return err
		}
		lineErrs = append(lineErrs, inventory.CheckParents(rows, exist)...)
	} else {
		lineErrs = append(lineErrs, inventory.CheckParents(rows, nil)...)
	}
	if len(lineErrs) > 0 {
		return c.JSON(http.StatusUnprocessableEntity, map[string]any{
			"error": httpsec.BodyError{Code: "invalid_csv", Message: "the import has errors; nothing was written", Field: "file"},
			"lines": lineErrs,
		})
	}
	if len(rows) == 0 {
		return badRequest("file", "the file has a header but no devices")
	}
	devs := make([]store.ImportDevice, len(rows))
	for i, r := range rows {
		devs[i] = store.ImportDevice{DeviceInput: r.Device, ParentName: r.Parent, Line: r.Line}
	}
	names := make([]string, len(devs))
	for i, d := range devs {
		names[i] = d.Name
	}
	before, berr := s.p.Store.DevicesByName(ctx, names)
	res, err := s.p.Store.ImportDevices(ctx, devs)
	if err != nil {
		return storeError(err, "device", "")
	}
	after, aerr := s.p.Store.DevicesByName(ctx, names)
	if berr == nil && aerr == nil { // the audit documents: the devices of the file's names, before and after
		s.record(c, "device.import", "device", "", map[string]any{"devices": before},
			map[string]any{"devices": after, "created": res.Created, "updated": res.Updated})
	}
	return c.JSON(http.StatusOK, map[string]any{"created": res.Created, "updated": res.Updated, "rows": len(rows), "places": res.Places})
}

func importBody(c *echo.Context) ([]byte, error) {
	r := c.Request()
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var src io.Reader = r.Body
	if strings.HasPrefix(mt, "multipart/") {
		f, _, err := r.FormFile("file")
		if err != nil {
			return nil, badRequest("file", "multipart field \"file\" is required: %v", err)
		}
		defer f.Close()
		src = f
	}
	tooLarge := &Error{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large", Message: "import over 32 MiB; split the file", Field: "file"}
	body, err := io.ReadAll(io.LimitReader(src, MaxImportBody+1))
	if bodyTooLarge(err) {
		return nil, tooLarge // a chunked body stopped by a body-limit middleware
	}
	if err != nil {
		return nil, badRequest("file", "read upload: %v", err)
	}
	if len(body) > MaxImportBody {
		return nil, tooLarge
	}
	return body, nil
}

// bodyTooLarge reports whether a body read failed because a body-limit middleware stopped it
// (http.MaxBytesReader, or echo's BodyLimit).
func bodyTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe) || echo.StatusCode(err) == http.StatusRequestEntityTooLarge
}
