package server

import _ "embed"

// OpenAPI is the API's OpenAPI 3.1 description, served at
// /api/v1/openapi.json. TestOpenAPI checks it against the real routes and
// the report types; 'go test ./server -run TestOpenAPI -update' rewrites
// its schemas from the types.
//
//go:embed openapi.json
var OpenAPI []byte
