# nbdev 2 template setup.py, without the `pkg_resources` import that current setuptools no longer ships.
from configparser import ConfigParser
from pathlib import Path
import setuptools
from setuptools.command.build_py import build_py
import shlex

config = ConfigParser(delimiters=['='])
config.read('settings.ini', encoding='utf-8')
cfg = config['DEFAULT']

cfg_keys = 'version description keywords author author_email'.split()
expected = cfg_keys + "lib_name user branch license status min_python audience language".split()
for o in expected:
    assert o in cfg, "missing expected setting: {}".format(o)
setup_cfg = {o: cfg[o] for o in cfg_keys}

licenses = {'apache2': 'Apache-2.0', 'mit': 'MIT'}  # SPDX expressions (license classifiers are deprecated)
statuses = ['1 - Planning', '2 - Pre-Alpha', '3 - Alpha', '4 - Beta', '5 - Production/Stable',
            '6 - Mature', '7 - Inactive']
py_versions = '3.10 3.11 3.12 3.13'.split()

requirements = shlex.split(cfg.get('requirements', ''))
extras = {k: shlex.split(cfg.get(f'{k}_requirements', '')) for k in ('dev', 'dask', 'lab', 'docs', 'mlflow')}
lic = licenses.get(cfg['license'].lower(), cfg['license'])
min_python = cfg['min_python']
console_scripts = cfg.get('console_scripts', '').split()

# Package data generated at build time from the originals (never copied into the repository): the report notebooks
# and the default configs, so that an installed `ssb` runs from any folder (pipeline.runner.shipped_dir finds them).
# An editable install reads them from the checkout instead.
SHIPPED = {'_reports': ('nbs/reports', '*.ipynb'), '_configs': ('configs', '*.yaml')}


class BuildPyWithShipped(build_py):
    def run(self):
        super().run()
        if getattr(self, 'editable_mode', False):
            return
        for dest, (src, pattern) in SHIPPED.items():
            out = Path(self.build_lib) / cfg['lib_path'] / dest
            self.mkpath(str(out))
            for f in sorted(Path(src).glob(pattern)):
                self.copy_file(str(f), str(out / f.name))


setuptools.setup(
    cmdclass={'build_py': BuildPyWithShipped},
    name=cfg['lib_name'],
    license=lic,
    classifiers=[
        'Development Status :: ' + statuses[int(cfg['status'])],
        'Intended Audience :: ' + cfg['audience'].title(),
        'Natural Language :: ' + cfg['language'].title(),
    ] + ['Programming Language :: Python :: ' + o for o in py_versions[py_versions.index(min_python):]],
    url=cfg['git_url'],
    packages=setuptools.find_packages(include=['socialsignalbench', 'socialsignalbench.*']),
    include_package_data=False,  # package_data below is the complete list (True warns about data folders)
    package_data={'socialsignalbench': ['schemes/*.yaml', 'splits/*.json']},
    install_requires=requirements,
    extras_require=extras,
    python_requires='>=' + cfg['min_python'],
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    zip_safe=False,
    entry_points={
        'console_scripts': console_scripts,
        'nbdev': [f'{cfg.get("lib_path")}={cfg.get("lib_path")}._modidx:d'],
    },
    **setup_cfg)
