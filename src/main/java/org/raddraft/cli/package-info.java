/**
 * Commands ({@code raddraft admin ...}, {@code eval}, {@code calibrate}, {@code phantoms},
 * {@code labeller-eval}): thin command-line front ends over the stages. This package depends on the
 * stages; no stage may import it (or {@link org.raddraft.App}).
 */
package org.raddraft.cli;
