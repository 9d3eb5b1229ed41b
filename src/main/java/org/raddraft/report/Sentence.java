package org.raddraft.report;

/**
 * One sentence of a report.
 *
 * @param section the section it belongs to
 * @param index   position in the whole report (findings first, then impression), from 0
 * @param text    the sentence with whitespace normalised and list markers ("1.") removed
 */
public record Sentence(Section section, int index, String text) {
}
