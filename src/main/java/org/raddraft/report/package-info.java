/**
 * Report text: the FINDINGS/IMPRESSION model of a chest X-ray report and a rule-based labeller for
 * the 14 CheXpert observations (lexicon as data, NegEx-style negation and uncertainty, section
 * awareness), plus {@code raddraft labeller-eval}, which measures the labeller against tagged reports.
 *
 * <p>Used for label-F1 of drafts, the classifier-agreement flag and feedback weighting. Must never
 * ship or embed third-party report text (the IU collection is for evaluation only) and must never
 * log report text: reports carry patient information.
 */
package org.raddraft.report;
