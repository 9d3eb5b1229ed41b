package org.raddraft.dicom;

import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

import java.util.Map;

/**
 * The Camel {@code dicom:} component. {@code dicom:scp?port=11112&aeTitle=RADDRAFT&...} is a C-STORE
 * SCP consumer (see {@link DicomEndpoint} for the parameters). Found by Camel through
 * {@code META-INF/services/org/apache/camel/component/dicom}.
 */
public class DicomComponent extends DefaultComponent {

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        if (!"scp".equals(remaining)) {
            throw new IllegalArgumentException("unknown dicom endpoint '" + remaining + "' in " + uri
                    + ": write dicom:scp?... (the C-STORE SCP consumer)");
        }
        DicomEndpoint endpoint = new DicomEndpoint(uri, this);
        setProperties(endpoint, parameters);
        return endpoint;
    }
}
