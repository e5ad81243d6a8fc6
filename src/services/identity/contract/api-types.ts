// Identity's wire types other services rely on: the token document of GET /v3/auth/tokens.

export interface TokenDocument {
  methods: string[];
  user: { id: string; name: string; domain: { id: string; name: string } };
  audit_ids: string[];
  expires_at: string;
  issued_at: string;
  project?: { id: string; name: string; domain: { id: string; name: string } };
  domain?: { id: string; name: string };
  system?: { all: boolean };
  roles?: { id: string; name: string }[];
  catalog?: { id: string; type: string; name: string; endpoints: { id: string; interface: string; region_id: string | null; url: string }[] }[];
  application_credential?: { id: string };
  'OS-TRUST:trust'?: { id: string };
}
