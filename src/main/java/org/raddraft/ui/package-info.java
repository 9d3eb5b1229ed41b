/**
 * The web review page for pilot sites without RIS integration: static HTML/CSS/JS under
 * {@code /ui/} (from {@code src/main/resources/ui}), and the server-rendered images of a draft's
 * study. The page reads and acts only through the FHIR API at {@code /fhir} with the review
 * package's accounts, sessions and audit: it has no private way to change a draft.
 *
 * <p>It must never put text from a draft or a DICOM header into HTML unescaped (the page writes it
 * with {@code textContent}), load anything from outside the daemon, or serve a page without its
 * Content-Security-Policy.
 */
package org.raddraft.ui;
