// Package eval measures how well anomaly scores separate benign flows
// from anomalous ones: ROC AUC, PR AUC (average precision), recall at a
// fixed false-positive rate, and precision and recall at a threshold.
// Scores are "higher = more anomalous"; an alert is a score >= threshold.
package eval
