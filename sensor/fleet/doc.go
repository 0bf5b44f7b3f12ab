// Package fleet keeps a fleet of sensors on one model and one set of
// settings through NATS JetStream: a key-value bucket holds, per fleet,
// the settings every sensor applies (a YAML document of the hot keys:
// threshold, allowlists...), each sensor's own settings on top, and the
// model revision in effect, whose file is in an object store. Push
// publishes a model or settings (tlsentry model push, tlsentry config
// push); Watch follows the bucket and hands each new revision to the
// sensor, which applies it through its reload path (build, validate,
// swap) or refuses it and keeps what it runs.
//
// Keys in the bucket (FLEET is the fleet's name, SENSOR a sensor's name
// as one key token):
//
//	FLEET.settings              the fleet's settings
//	FLEET.sensor.SENSOR.settings one sensor's settings, over the fleet's
//	FLEET.model                 the model in effect: a JSON pointer to its
//	                            object (name, SHA-256, size, model id)
package fleet
