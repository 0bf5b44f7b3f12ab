// Package layering holds the test that keeps the module's layers apart:
// packets are captured and decoded (sensor/capture, sensor/afpacket,
// sensor/decode), become flows (flow), are parsed (flow/tlsparse,
// flow/quic), scored (detector) and carried to their outputs by the
// pipeline (sensor/pipeline), which the commands (cmd) wire up. No
// package imports one of a later stage: the arrows never point back.
package layering
