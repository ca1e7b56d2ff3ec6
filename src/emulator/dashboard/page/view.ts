/** A page of the dashboard: built into a root element, and stopped (timers, long polls) when left. */
export interface View {
  dispose(): void;
}
