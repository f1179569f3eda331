"""The outside world: SAP through zeep, Salesforce through simple-salesforce.

Connectors are typed page generators that yield domain records; library exceptions never
leave this package (see `connectors.errors`).
"""
