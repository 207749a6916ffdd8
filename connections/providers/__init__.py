"""Provider infrastructure (declarations, the one outbound call path, errors, webhook and mirror types) and one
package per external system. Which systems exist is `connections.registry`'s to say."""
