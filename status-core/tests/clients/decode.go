// Decodes status documents as Go programs do: encoding/json into a struct whose last_check is
// a time.Time (and drift_count an int), and last_check as Grafana Infinity reads a time
// column: utils.GetTimeFromString in grafana/infinity-libs tries time.RFC3339 first, then a
// list of looser layouts, and keeps the first that parses.
//
// Usage: go run decode.go DIR. Prints, per DIR/*.json in name order, "NAME MILLIS DRIFT" (the
// instant of last_check in Unix milliseconds) or "NAME ERROR why".
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

type Document struct {
	Repo         string    `json:"repo"`
	Server       string    `json:"server"`
	SyncStatus   string    `json:"sync_status"`
	DriftCount   int       `json:"drift_count"`
	Files        []string  `json:"files"`
	LastCheck    time.Time `json:"last_check"`
	App          *string   `json:"app"`
	Revision     *string   `json:"revision"`
	HealthStatus *string   `json:"health_status"`
	Message      *string   `json:"message"`
	Environment  *string   `json:"environment"`
}

// infinityLayouts are the layouts Infinity tries, in its order; only the first matters for a
// document in the profile, and the test asserts it is the one that parses.
var infinityLayouts = []string{time.RFC3339}

func main() {
	paths, err := filepath.Glob(filepath.Join(os.Args[1], "*.json"))
	if err != nil {
		panic(err)
	}
	sort.Strings(paths)
	for _, path := range paths {
		name := filepath.Base(path)
		data, err := os.ReadFile(path)
		if err != nil {
			panic(err)
		}
		var doc Document
		if err := json.Unmarshal(data, &doc); err != nil {
			fmt.Printf("%s ERROR encoding/json: %v\n", name, err)
			continue
		}
		// Infinity reads the raw string, not the decoded time.Time.
		var raw struct {
			LastCheck string `json:"last_check"`
		}
		if err := json.Unmarshal(data, &raw); err != nil {
			fmt.Printf("%s ERROR raw: %v\n", name, err)
			continue
		}
		infinity, err := time.Parse(infinityLayouts[0], raw.LastCheck)
		if err != nil {
			fmt.Printf("%s ERROR Infinity's first layout (time.RFC3339): %v\n", name, err)
			continue
		}
		if !infinity.Equal(doc.LastCheck) {
			fmt.Printf("%s ERROR Infinity reads %v, encoding/json %v\n", name, infinity, doc.LastCheck)
			continue
		}
		fmt.Printf("%s %d %d\n", name, doc.LastCheck.UnixMilli(), doc.DriftCount)
	}
}
