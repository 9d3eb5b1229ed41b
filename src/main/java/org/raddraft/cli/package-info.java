/**
 * Admin commands ({@code raddraft admin ...}): thin command-line front ends over the stages. This
 * package depends on the stages; no stage may import it (or {@link org.raddraft.App}).
 */
package org.raddraft.cli;
