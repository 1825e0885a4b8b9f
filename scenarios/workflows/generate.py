"""Writes the bundled WfCommons instances: python3 generate.py (wfcommons 1.6).

Each file is named after its recipe and the number of tasks the generator made (a recipe
rounds the requested size to what its base graphs allow).
"""
import pathlib
import random

import numpy

from wfcommons import WorkflowGenerator
from wfcommons.wfchef.recipes import BlastRecipe, EpigenomicsRecipe, MontageRecipe

for name, recipe, tasks in [
    ("montage", MontageRecipe, 60),
    ("epigenomics", EpigenomicsRecipe, 50),
    ("blast", BlastRecipe, 45),
]:
    random.seed(20)
    numpy.random.seed(20)
    workflow = WorkflowGenerator(recipe.from_num_tasks(tasks)).build_workflow()
    path = pathlib.Path(f"{name}-{len(workflow.nodes)}.json")
    workflow.write_json(path)
    print(path)
