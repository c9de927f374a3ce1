package main

import (
	"encoding/json"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/pgmig/pgmig/migrator/lint"
)

// The SARIF 2.1.0 log of 'pgmig lint --format sarif': one run, the rules
// in tool.driver.rules, one result per finding. Columns count Unicode
// code points, as lint's do.

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool       sarifTool     `json:"tool"`
	ColumnKind string        `json:"columnKind"`
	Results    []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Version        string      `json:"version,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string          `json:"id"`
	ShortDescription     sarifText       `json:"shortDescription"`
	FullDescription      sarifText       `json:"fullDescription"`
	DefaultConfiguration sarifRuleConfig `json:"defaultConfiguration"`
	Properties           map[string]any  `json:"properties,omitempty"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID     string          `json:"ruleId"`
	RuleIndex  int             `json:"ruleIndex"`
	Level      string          `json:"level"`
	Message    sarifText       `json:"message"`
	Locations  []sarifLocation `json:"locations"`
	Properties map[string]any  `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int        `json:"startLine"`
	StartColumn int        `json:"startColumn"`
	Snippet     *sarifText `json:"snippet,omitempty"`
}

// sarifLevel maps a severity to a SARIF level.
func sarifLevel(s lint.Severity) string {
	switch s {
	case lint.SeverityError:
		return "error"
	case lint.SeverityWarning:
		return "warning"
	default:
		return "note"
	}
}

func (o *lintOutput) sarif(res *lint.Result) {
	driver := sarifDriver{Name: "pgmig", InformationURI: "https://github.com/pgmig/pgmig", Version: version()}
	index := map[string]int{}
	for i, r := range lint.Rules() {
		index[r.ID] = i
		props := map[string]any{"family": r.Family}
		if r.Lock != "" {
			props["lock"] = r.Lock
		}
		driver.Rules = append(driver.Rules, sarifRule{ID: r.ID, ShortDescription: sarifText{r.Statement},
			FullDescription: sarifText{r.Statement + ": " + r.Summary}, DefaultConfiguration: sarifRuleConfig{sarifLevel(r.Severity)},
			Properties: props})
	}
	run := sarifRun{Tool: sarifTool{driver}, ColumnKind: "unicodeCodePoints", Results: []sarifResult{}}
	for _, f := range res.Findings {
		msg := f.Message
		if f.Fix != "" {
			msg += "\nfix:\n" + f.Fix
		}
		region := sarifRegion{StartLine: f.Line, StartColumn: f.Column}
		if f.Source != "" {
			region.Snippet = &sarifText{f.Source}
		}
		props := map[string]any{"rewrite": f.Rewrite, "scan": f.Scan, "blocks": f.Blocks}
		if f.Lock != lint.NoLock {
			props["lock"], props["relation"] = f.Lock.String(), f.Relation
		}
		if f.Fix != "" {
			props["fix"] = f.Fix
		}
		run.Results = append(run.Results, sarifResult{RuleID: f.Rule, RuleIndex: index[f.Rule], Level: sarifLevel(f.Severity),
			Message:   sarifText{msg},
			Locations: []sarifLocation{{sarifPhysical{sarifArtifact{sarifURI(o.path(f.File))}, region}}}, Properties: props})
	}
	enc := json.NewEncoder(o.w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}})
}

// sarifURI writes a file's path as the URI reference SARIF wants: each
// segment percent-encoded (a ':' too, which a relative reference must not
// hold in its first segment), and an absolute path as a file: URI.
func sarifURI(path string) string {
	p := filepath.ToSlash(path)
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if i == 0 && len(s) == 2 && s[1] == ':' && filepath.IsAbs(path) {
			continue // a Windows drive, C:
		}
		segs[i] = strings.ReplaceAll(url.PathEscape(s), ":", "%3A")
	}
	u := strings.Join(segs, "/")
	switch {
	case strings.HasPrefix(p, "/"):
		return "file://" + u
	case filepath.IsAbs(path):
		return "file:///" + u
	}
	return u
}
