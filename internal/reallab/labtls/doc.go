// Command labtls is the Go crypto/tls stack of the real-stack lab
// (bench/reallab): an HTTPS server, and clients of the set-ups in
// package reallab that fetch each URL over a new connection.
//
//	labtls serve -addr HOST:PORT [-addr ...] -cert CHAIN.pem -key KEY.pem [-max-tls12] [-min-tls10]
//	labtls client -profile NAME [-ca CA.pem] [-timeout 10s] URL ...
//	labtls profiles
package main
