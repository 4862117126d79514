// Package handlerapi is the case handlers' API (/api/v1/handler/...) as
// both ends see it: the wire types of every request and response body,
// used by the server to answer and by clients (casectl, the console) to
// ask, and a Client that treats the server as hostile.
//
// The Client's rules: every response is read through a size limit; JSON
// is decoded strictly (one object, unknown fields refused, the declared
// content type checked); an error the server sends is kept only as a
// short, sanitised message (see Safe) and never printed raw; the base URL
// is an origin (scheme, host, port) and nothing else.
//
// The package holds no identities and decrypts nothing itself except
// where a method's documentation says so.
package handlerapi
