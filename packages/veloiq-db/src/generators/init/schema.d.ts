export interface InitSchema {
  skipPackageJson?: boolean;
  skipInstall?: boolean;
}
