"""Local stand-ins for SAP (SOAP over HTTP) and Salesforce (REST over HTTPS), and their data."""
