/** This instance's connection to the others (over Redis). */
export interface ClusterLink {
  /** Whether the shared store is reachable now. */
  healthy(): boolean;
  close(): Promise<void>;
}
