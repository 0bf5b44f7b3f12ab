package eve

import _ "embed"

// Schema is the JSON Schema (draft 2020-12) of every record tlsentry
// writes: flow, alert and tls records, as flows, score and the daemon's
// logs write them. The tests validate every record they produce against
// it (internal/testkit).
//
//go:embed schema.json
var Schema []byte
