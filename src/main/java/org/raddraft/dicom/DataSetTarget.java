package org.raddraft.dicom;

/** Where the data set of a DIMSE request goes, fragment by fragment, as it arrives. */
interface DataSetTarget extends PduInput.Sink {

    /** The last fragment was written. */
    void finish();

    /** The association ended before the last fragment. */
    void abandon();
}
