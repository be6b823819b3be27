/** An access key pair, with the security token when the keys are temporary (an agency's). */
export interface Credentials {
  ak: string;
  sk: string;
  securityToken?: string;
}
