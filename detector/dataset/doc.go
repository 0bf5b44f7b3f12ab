// Package dataset splits capture files (never the flows of one file) into
// a training part and a held-out part by a fixed rule, so that a model is
// always evaluated on captures it has not seen. Reading the files into
// flows is the pipeline's (pipeline.LoadFlows).
package dataset
