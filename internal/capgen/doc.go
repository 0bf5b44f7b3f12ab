// Package capgen generates real TCP/IP packet captures whose content is known
// exactly, for tests of the flow reassembler and for labelled anomaly data.
//
// A capture is built in three steps:
//
//  1. A [Conversation]: the application writes of both peers in send order,
//     either recorded from a real crypto/tls handshake run in memory
//     ([TLSConversation]) or scripted directly ([HTTPExchange], [SSHBanners],
//     [RandomConversation], or a literal).
//  2. Packets: a [FlowSpec] turns the conversation into Ethernet/IP/TCP frames
//     (handshake, segmentation, close, VLAN tag, sequence numbers that may wrap)
//     with optional per-direction [Impairments]: reordering, duplicates, loss
//     followed by retransmission, overlapping retransmissions, and a capture
//     gap.
//  3. A file: [WritePcap] / [WriteFile], with [Merge] to interleave many flows.
//
// The contract tests rely on: impairments never move bytes across a flight
// (the run of writes of one direction before the other direction answers),
// so a reassembler that delivers each direction in sequence order, and
// interleaves the directions in the order their bytes became available,
// reproduces [Conversation.Prefix] exactly. The only exception is
// [Impairments.Gap], whose bytes are never captured; [FlowSpec.Gaps] says which
// bytes are missing and [Conversation.ContiguousPrefix] gives the part of the
// prefix any reassembler must still get right.
//
// Everything that uses randomness takes a seed, so the same inputs give
// byte-identical captures. TLS handshakes are the exception: Go 1.26 draws
// key material from the process-wide source, so their bytes differ per run
// unless the test calls testing/cryptotest.SetGlobalRandom; their structure
// (which side writes when) is deterministic regardless.
package capgen
