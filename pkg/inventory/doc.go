// Package inventory validates device definitions, from the API's JSON and from CSV imports,
// into store.DeviceInput values. A CSV import is checked whole before anything is written, and
// every bad line is reported with its number.
package inventory
