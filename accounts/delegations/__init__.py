"""Family service (亲情服务, DESIGN.md section 10): delegations that let an agent act for a principal
within scopes. It lives in accounts because bindings, settlement and certification all ask it; other
apps plug their own pages and rights into it through `registry` and never the other way round."""
