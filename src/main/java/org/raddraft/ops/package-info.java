/**
 * Operations: health, Prometheus metrics, admin listings. Reads state, never changes pipeline state;
 * never exposes patient data (internal ids and UIDs only).
 */
package org.raddraft.ops;
