// The package ships typings for a module named "mgrs"; these describe what it really exports.
declare module 'geographiclib-mgrs' {
  interface UtmUpsPoint {
    zone: number;
    northp: boolean;
    x: number;
    y: number;
  }
  const GeographicLibMGRS: {
    UTMUPS: {
      STANDARD: number;
      UPS: number;
      falseeasting_: number[];
      falsenorthing_: number[];
      forward(lat: number, lon: number, setzone?: number, mgrslimits?: boolean): UtmUpsPoint;
      /** The zone forward() would use: `setzone` if it is 1–60, else the standard one (0 is UPS). */
      standardZone(lat: number, lon: number, setzone?: number): number;
      checkCoords(
        utmp: boolean,
        northp: boolean,
        x: number,
        y: number,
        mgrslimits: boolean,
        throwp: boolean,
      ): boolean;
      reverse(
        zone: number,
        northp: boolean,
        x: number,
        y: number,
        mgrslimits?: boolean,
      ): { lat: number; lon: number };
    };
    MGRS: {
      forwardKnowLattitude(
        zone: number,
        northp: boolean,
        x: number,
        y: number,
        lat: number,
        prec: number,
      ): string;
      reverse(mgrs: string, centerp?: boolean): UtmUpsPoint & { prec: number };
    };
  };
  export default GeographicLibMGRS;
}
