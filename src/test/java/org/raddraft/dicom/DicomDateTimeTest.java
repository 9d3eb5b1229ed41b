package org.raddraft.dicom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** DA and TM values as sent on: conformant kept, the common wrong forms rewritten, the rest dropped. */
class DicomDateTimeTest {

    @Test
    void datesAreYyyymmddWhenTheyAreRealDates() {
        assertEquals("19800203", DicomDateTime.date("19800203"));
        assertEquals("19800203", DicomDateTime.date("1980-02-03"), "ISO form, as some modalities write it");
        assertEquals("19800203", DicomDateTime.date("1980.02.03"), "ACR-NEMA form");
        assertEquals("20240229", DicomDateTime.date(" 20240229 "));
        assertNull(DicomDateTime.date("20230229"), "not a leap year");
        assertNull(DicomDateTime.date("1980-13-03"));
        assertNull(DicomDateTime.date("03/02/1980"));
        assertNull(DicomDateTime.date("1980"));
        assertNull(DicomDateTime.date("19800203\nOBX|1"));
        assertNull(DicomDateTime.date(""));
        assertNull(DicomDateTime.date(null));
    }

    @Test
    void timesAreHhmmssWhenTheyAreRealTimes() {
        assertEquals("103000", DicomDateTime.time("103000"));
        assertEquals("103000.123", DicomDateTime.time("103000.123"));
        assertEquals("1030", DicomDateTime.time("1030"));
        assertEquals("103000", DicomDateTime.time("10:30:00"), "ACR-NEMA form");
        assertNull(DicomDateTime.time("2500"));
        assertNull(DicomDateTime.time("1075"));
        assertNull(DicomDateTime.time("10h30"));
        assertNull(DicomDateTime.time(null));
    }
}
